// pam_service_name against a real miniftp and Python's ftplib: logins go
// through a PAM service the test writes (pam_unix, pam_listfile on a deny
// file, pam_shells, pam_exec recording sessions): the right password logs in
// and opens a PAM session that closes when the FTP session ends; a wrong
// password, a denied name, a shell not in /etc/shells and an expired account
// all get the 530 of a wrong password after delay_failed_login. Debian's own
// /etc/pam.d/vsftpd works as it is (it denies /etc/ftpusers). A service
// without its file, or a system without libpam.so.0, stops the start with
// one line that says so. Root-only.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftplibLoginReply, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, miniftpMain, startMiniftp, startRefused, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { createPamService, withoutLibpam, type TestPamService } from '../helpers/pam-service.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';
import { admin, listInFtpusers, uniqueName } from '../helpers/users.js';

const PASSWORD = 'pam-ftp-password';

describe.skipIf(!requireRoot('miniftp with pam_service_name'))('miniftp with pam_service_name', () => {
  let service: TestPamService;
  let server: RunningMiniftp;
  const users: Record<string, TestUser> = {};
  const dir = scratchDir('miniftp-pam-');

  beforeAll(async () => {
    for (const kind of ['good', 'denied', 'nologin', 'expired']) users[kind] = createUser(`mfp${kind.slice(0, 3)}`, PASSWORD);
    admin('usermod', '-s', '/usr/sbin/nologin', users.nologin!.name);
    admin('chage', '-E', '0', users.expired!.name);
    service = createPamService('miniftpam');
    service.deny(users.denied!.name);
    server = await startMiniftp({ pam_service_name: service.name, delay_failed_login: 1 });
  });

  afterAll(async () => {
    await server?.stop();
    service?.remove();
    dir.remove();
    for (const user of Object.values(users)) user.remove();
  });

  it('logs in with the right password; the PAM session opens at login and closes when the FTP session ends', async () => {
    const name = users.good!.name;
    const [, login, pwd] = await ftplibSteps(server.port, { user: null, steps: [{ op: 'login', user: name, password: PASSWORD }, { op: 'cmd', line: 'PWD' }, { op: 'quit' }] });
    expect(login!.reply).toMatch(/^230/);
    expect(pwd!.reply).toBe(`257 "${users.good!.home}" is the current directory`);
    await waitFor(() => service.sessionEvents().length >= 2, 10_000, 'the PAM session to close');
    expect(service.sessionEvents()).toEqual([`open_session ${name} 127.0.0.1 ftp ${name}`, `close_session ${name} 127.0.0.1 ftp ${name}`]);
  });

  it('answers a wrong password with 530 after delay_failed_login', async () => {
    const started = performance.now();
    const reply = await ftplibLoginReply(server.port, users.good!.name, 'wrong');
    expect(reply).toBe('530 Login incorrect.');
    // delay_failed_login, and not the 10 s the service asks PAM for (pam_faildelay).
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(performance.now() - started).toBeLessThan(6000);
  });

  it('refuses a denied name, a shell not in /etc/shells and an expired account even with the right password, as a wrong password', async () => {
    const before = service.sessionEvents().length;
    for (const kind of ['denied', 'nologin', 'expired']) {
      const started = performance.now();
      expect(await ftplibLoginReply(server.port, users[kind]!.name, PASSWORD), kind).toBe('530 Login incorrect.');
      expect(performance.now() - started, kind).toBeGreaterThanOrEqual(950);
    }
    expect(service.sessionEvents().length).toBe(before);
  });

  it('stops the start when the service has no file of its own, or libpam.so.0 cannot be loaded', async () => {
    const missing = uniqueName('mfpnone');
    const refused = await startRefused(dir.path, `listen_address=127.0.0.1\nlisten_port=0\npam_service_name=${missing}\n`);
    expect(refused).toEqual({
      code: 2,
      stderr: `miniftp: CONF:3: bad value "${missing}" for pam_service_name: PAM service '${missing}' has no configuration: /etc/pam.d/${missing} does not exist (Linux-PAM would use /etc/pam.d/other)\n`,
    });
    const config = `${dir.path}/miniftp.conf`;
    fs.writeFileSync(config, `listen_address=127.0.0.1\nlisten_port=0\npam_service_name=${service.name}\n`);
    const [cmd, ...args] = withoutLibpam([process.execPath, miniftpMain, config]);
    const result = await promisify(execFile)(cmd!, args, { timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^miniftp: ${config}:3: pam_service_name=${service.name}: cannot load Linux-PAM's library: \\S*libpam\\.so\\.0: .+\\n$`));
  });
});

const debianVsftpd = fs.existsSync('/etc/pam.d/vsftpd');
if (!debianVsftpd) console.log('skipping pam_service_name=vsftpd: /etc/pam.d/vsftpd comes with Debian\'s vsftpd package, which is not installed');

describe.skipIf(!requireRoot('miniftp with Debian\'s PAM service') || !debianVsftpd)('miniftp with pam_service_name=vsftpd (Debian\'s /etc/pam.d/vsftpd)', () => {
  let server: RunningMiniftp;
  let restoreFtpusers: (() => void) | undefined;
  const users: Record<string, TestUser> = {};

  beforeAll(async () => {
    for (const kind of ['good', 'listed']) users[kind] = createUser(`mfv${kind.slice(0, 3)}`, PASSWORD);
    restoreFtpusers = listInFtpusers(users.listed!.name);
    server = await startMiniftp({ pam_service_name: 'vsftpd' });
  });

  afterAll(async () => {
    restoreFtpusers?.();
    await server?.stop();
    for (const user of Object.values(users)) user.remove();
  });

  it('lets a local user in, and refuses a name in /etc/ftpusers with the right password', async () => {
    expect(await ftplibLoginReply(server.port, users.good!.name, PASSWORD)).toMatch(/^230/);
    expect(await ftplibLoginReply(server.port, users.listed!.name, PASSWORD)).toBe('530 Login incorrect.');
    expect(await ftplibLoginReply(server.port, users.good!.name, 'wrong')).toBe('530 Login incorrect.');
  });
});
