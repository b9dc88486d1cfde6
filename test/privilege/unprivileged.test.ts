// What an unprivileged caller gets from every privileged call: a clear
// Node-shaped error (EPERM, EACCES) naming the system call, never a silent
// no-op. Runs the calls as nobody (or, without root, as the current user).
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/process.js';
import { killCalls, runCalls } from '../helpers/calls.js';

afterAll(() => killCalls());

describe('an unprivileged caller', () => {
  it('gets EPERM or EACCES with the system call named', async () => {
    const hard = 1_000_000_000;
    const run = await runCalls([
      ['setResUid', 0],
      ['setResGid', 0],
      ['setGroups', []],
      ['initGroups', 'root', 0],
      ['chroot', '/'],
      ['setCapabilities', { effective: ['CAP_SYS_ADMIN'], permitted: ['CAP_SYS_ADMIN'], inheritable: [] }],
      ['dropBoundingSet', ['CAP_SYS_BOOT']],
      ['raiseAmbient', ['CAP_NET_BIND_SERVICE']],
      ['setResourceLimit', 'nofile', { soft: hard, hard }],
      ['checkPassword', 'root', 'x'],
      ['spawnWithCredentials', '/bin/true', [], { uid: 0, gid: 0 }],
      ['spawnWithCredentials', '/bin/true', [], { capabilities: ['CAP_NET_BIND_SERVICE'] }],
      ['changeCredentials', { user: 'root' }],
    ], isRoot ? { uid: 65534, gid: 65534 } : null);
    await run.finish();
    expect(run.results).toMatchObject([
      { ok: false, code: 'EPERM', syscall: 'setresuid' },
      { ok: false, code: 'EPERM', syscall: 'setresgid' },
      { ok: false, code: 'EPERM', syscall: 'setgroups' },
      { ok: false, code: 'EPERM', syscall: 'setgroups' },
      { ok: false, code: 'EPERM', syscall: 'chroot' },
      { ok: false, code: 'EPERM', syscall: 'capset' },
      { ok: false, code: 'EPERM', syscall: 'prctl' },
      { ok: false, code: 'EPERM', syscall: 'prctl' },
      { ok: false, code: 'EPERM', syscall: 'setrlimit' },
      { ok: false, code: 'EACCES', syscall: 'getspnam' },
      { ok: false, code: 'EPERM', syscall: 'setgroups' },
      { ok: false, code: 'EPERM', syscall: 'prctl' },
      { ok: false, code: 'EPERM', syscall: 'setgroups' },
    ]);
  });

  it('may still make the changes that only lower privilege', async () => {
    const run = await runCalls([
      ['clearAmbient'],
      ['lowerAmbient', ['CAP_CHOWN']],
      ['setNoNewPrivs'],
      ['getNoNewPrivs'],
    ], isRoot ? { uid: 65534, gid: 65534 } : null);
    await run.finish();
    expect(run.results).toEqual([
      { ok: true, value: null },
      { ok: true, value: null },
      { ok: true, value: null },
      { ok: true, value: true },
    ]);
  });
});
