// Which local accounts may log in to a real miniftp, through Python's ftplib:
// accounts expired, locked, waiting for a password change or disabled after
// their password expired (chage, usermod -L), with a shell not in
// /etc/shells, or named in /etc/ftpusers all get the 530 of a wrong
// password, while a control user with the same password logs in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftplibLoginReply } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { admin, listInFtpusers } from '../helpers/users.js';

const PASSWORD = 'the-same-password';

/** The reply to ftplib's login (USER/PASS), good or bad. */
function loginReply(port: number, user: string, password = PASSWORD): Promise<string> {
  return ftplibLoginReply(port, user, password);
}

describe.skipIf(!requireRoot('miniftp account checks'))('miniftp: which local accounts may log in', () => {
  let server: RunningMiniftp;
  let withoutShellCheck: RunningMiniftp;
  let restoreFtpusers: (() => void) | undefined;
  const users: Record<string, TestUser> = {};

  beforeAll(async () => {
    for (const kind of ['control', 'expired', 'locked', 'mustChange', 'disabled', 'nologin', 'listed']) {
      users[kind] = createUser(`mfa${kind.slice(0, 3)}`, PASSWORD);
    }
    admin('chage', '-E', '0', users.expired!.name);
    admin('usermod', '-L', users.locked!.name);
    admin('chage', '-d', '0', users.mustChange!.name);
    admin('chage', '-d', '2000-01-01', '-M', '30', '-I', '10', users.disabled!.name);
    admin('usermod', '-s', '/usr/sbin/nologin', users.nologin!.name);
    restoreFtpusers = listInFtpusers(users.listed!.name);
    server = await startMiniftp();
    withoutShellCheck = await startMiniftp({ check_shell: 'NO' });
  });

  afterAll(async () => {
    restoreFtpusers?.();
    await server?.stop();
    await withoutShellCheck?.stop();
    for (const user of Object.values(users)) user.remove();
  });

  it('lets the control user in, and refuses the others with the reply of a wrong password', async () => {
    expect(await loginReply(server.port, users.control!.name)).toMatch(/^230/);
    const wrongPassword = await loginReply(server.port, users.control!.name, 'not-the-password');
    expect(wrongPassword).toMatch(/^530/);
    for (const kind of ['expired', 'locked', 'mustChange', 'disabled', 'nologin', 'listed']) {
      expect(await loginReply(server.port, users[kind]!.name), kind).toBe(wrongPassword);
    }
  });

  it('lets a nologin shell in with check_shell=NO, and nothing else that was refused', async () => {
    expect(await loginReply(withoutShellCheck.port, users.nologin!.name)).toMatch(/^230/);
    for (const kind of ['expired', 'locked', 'listed']) {
      expect(await loginReply(withoutShellCheck.port, users[kind]!.name), kind).toMatch(/^530/);
    }
  });

  it('reads /etc/ftpusers at each login: a name taken off the list logs in again', async () => {
    restoreFtpusers!();
    restoreFtpusers = undefined;
    expect(await loginReply(server.port, users.listed!.name)).toMatch(/^230/);
  });
});
