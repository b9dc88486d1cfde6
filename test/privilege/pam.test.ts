// pamLogin and checkPamService against the real Linux-PAM (loaded at run
// time) with a service of the test's own under /etc/pam.d: pam_unix,
// pam_listfile on a deny file, pam_shells, and pam_exec recording sessions.
// Root-only (pam_unix reads /etc/shadow; the service file is root's).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPamService, pamLogin, PamError, type PamSession } from 'privsep';
import { createPamService, withoutLibpam, type TestPamService } from '../helpers/pam-service.js';
import { createUser, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { admin, uniqueName } from '../helpers/users.js';
import { scratchDir } from '../helpers/scratch.js';
import fs from 'node:fs';

const PASSWORD = 'pam-test-password';
const distIndex = path.resolve(import.meta.dirname, '..', '..', 'dist', 'src', 'index.js');

describe('pamLogin arguments', () => {
  it('refuses a service name that is not a file name under /etc/pam.d, and a password with a NUL', async () => {
    for (const service of ['', '../passwd', 'a/b', '.hidden']) {
      await expect(pamLogin(service, 'u', 'p')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect(() => checkPamService(service)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    await expect(pamLogin('other', 'u', 'p\0q')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(pamLogin('other', 1 as unknown as string, 'p')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe.skipIf(!requireRoot('pamLogin with a real PAM service'))('pamLogin with a real PAM service', () => {
  let service: TestPamService;
  let slowService: TestPamService;
  const slow = scratchDir('pam-slow-');
  const users: Record<string, TestUser> = {};

  beforeAll(() => {
    for (const kind of ['good', 'other', 'denied', 'nologin', 'expired', 'locked']) users[kind] = createUser(`pam${kind.slice(0, 3)}`, PASSWORD);
    admin('usermod', '-s', '/usr/sbin/nologin', users.nologin!.name);
    admin('chage', '-E', '0', users.expired!.name);
    admin('usermod', '-L', users.locked!.name);
    service = createPamService('privsepam');
    service.deny(users.denied!.name);
    // A module that takes a second: the login must not hold up the event loop meanwhile.
    const script = path.join(slow.path, 'sleep');
    fs.writeFileSync(script, '#!/bin/sh\nsleep 1\n', { mode: 0o755 });
    fs.chmodSync(slow.path, 0o755);
    slowService = createPamService('privsepslow', [`auth required pam_exec.so quiet ${script}`]);
  });

  afterAll(() => {
    service?.remove();
    slowService?.remove();
    slow.remove();
    for (const user of Object.values(users)) user.remove();
  });

  it('logs a user in with the right password, opens the session with the items vsftpd sets, and closes it once', async () => {
    const session = await pamLogin(service.name, users.good!.name, PASSWORD, { rhost: '192.0.2.7', tty: 'ftp' });
    expect(session).toMatchObject({ service: service.name, user: users.good!.name });
    expect(service.sessionEvents()).toEqual([`open_session ${users.good!.name} 192.0.2.7 ftp ${users.good!.name}`]);
    const closing = session.close();
    expect(session.close()).toBe(closing);
    await closing;
    expect(service.sessionEvents()).toEqual([
      `open_session ${users.good!.name} 192.0.2.7 ftp ${users.good!.name}`,
      `close_session ${users.good!.name} 192.0.2.7 ftp ${users.good!.name}`,
    ]);
  });

  it('refuses a wrong password at pam_authenticate, without PAM\'s own failure delay', async () => {
    const started = performance.now();
    const err = await pamLogin(service.name, users.good!.name, 'wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PamError);
    expect(err).toMatchObject({ code: 'ERR_PRIVSEP_PAM', syscall: 'pam_authenticate', pamCode: 'PAM_AUTH_ERR', pamStatus: 7 });
    expect((err as Error).message).toContain(`pam_authenticate (service '${service.name}', user '${users.good!.name}')`);
    // The service asks for 10 s after a failure (pam_faildelay); the caller delays instead.
    expect(performance.now() - started).toBeLessThan(5000);
    await expect(pamLogin(service.name, uniqueName('nosuch'), PASSWORD)).rejects.toMatchObject({ syscall: 'pam_authenticate' });
    await expect(pamLogin(service.name, users.locked!.name, PASSWORD)).rejects.toMatchObject({ syscall: 'pam_authenticate' });
  });

  it('refuses at pam_acct_mgmt, with the right password: a denied name, a shell not in /etc/shells, an expired account', async () => {
    for (const kind of ['denied', 'nologin', 'expired']) {
      const err = await pamLogin(service.name, users[kind]!.name, PASSWORD).catch((e: unknown) => e);
      expect(err, kind).toMatchObject({ code: 'ERR_PRIVSEP_PAM', syscall: 'pam_acct_mgmt' });
    }
    await expect(pamLogin(service.name, users.expired!.name, PASSWORD)).rejects.toMatchObject({ pamCode: 'PAM_ACCT_EXPIRED' });
    // No session was opened for any of them.
    expect(service.sessionEvents().filter((e) => !e.includes(` ${users.good!.name} `))).toEqual([]);
  });

  it('runs logins at once, each on its own handle, each with its own answer', async () => {
    const before = service.sessionEvents().length;
    const attempts = Array.from({ length: 8 }, (_, i) => ({ user: users[i % 2 ? 'other' : 'good']!.name, right: i % 4 < 2 }));
    const results = await Promise.allSettled(attempts.map((a) => pamLogin(service.name, a.user, a.right ? PASSWORD : 'wrong')));
    const sessions: PamSession[] = [];
    results.forEach((result, i) => {
      expect(result.status, `attempt ${i}`).toBe(attempts[i]!.right ? 'fulfilled' : 'rejected');
      if (result.status === 'fulfilled') {
        expect(result.value.user).toBe(attempts[i]!.user);
        sessions.push(result.value);
      }
    });
    await Promise.all(sessions.map((s) => s.close()));
    const events = service.sessionEvents().slice(before).map((e) => e.split(' ').slice(0, 2).join(' ')).sort();
    const expected = attempts.filter((a) => a.right).flatMap((a) => [`close_session ${a.user}`, `open_session ${a.user}`]).sort();
    expect(events).toEqual(expected);
  });

  it('keeps the event loop free while a module works', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    try {
      const session = await pamLogin(slowService.name, users.good!.name, PASSWORD);
      await session.close();
    } finally {
      clearInterval(timer);
    }
    // About 20 during the module's second; none if it ran on the main thread.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('checkPamService: names the service\'s file, or says that there is none', () => {
    expect(checkPamService(service.name)).toBe(`/etc/pam.d/${service.name}`);
    const missing = uniqueName('privsepnone');
    expect(() => checkPamService(missing)).toThrow(expect.objectContaining({
      code: 'ERR_PRIVSEP_PAM_NO_SERVICE', path: `/etc/pam.d/${missing}`,
      message: `PAM service '${missing}' has no configuration: /etc/pam.d/${missing} does not exist (Linux-PAM would use /etc/pam.d/other)`,
    }));
  });

  it('without libpam.so.0: a clear error from checkPamService and pamLogin, with code and syscall', async () => {
    const probe = `
      import { checkPamService, pamLogin } from ${JSON.stringify(distIndex)};
      const shape = (e) => ({ code: e.code, syscall: e.syscall, message: e.message });
      let check = null;
      try { checkPamService(${JSON.stringify(service.name)}); } catch (e) { check = shape(e); }
      const login = await pamLogin(${JSON.stringify(service.name)}, 'someone', 'x').then(() => null, shape);
      console.log(JSON.stringify({ check, login }));`;
    const [cmd, ...args] = withoutLibpam([process.execPath, '--input-type=module', '-e', probe]);
    const { stdout } = await promisify(execFile)(cmd!, args, { timeout: 30_000 });
    const { check, login } = JSON.parse(stdout) as Record<string, { code: string; syscall: string; message: string }>;
    for (const err of [check!, login!]) {
      expect(err).toMatchObject({ code: 'ERR_PRIVSEP_PAM_UNAVAILABLE', syscall: 'dlopen' });
      expect(err.message).toMatch(/^cannot load Linux-PAM's library: .*libpam\.so\.0/);
    }
  });
});
