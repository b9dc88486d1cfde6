// changeCredentials, in child processes (the test process never changes its
// own credentials): every thread of the dropped process, including libuv
// pool threads and a worker thread started before or after the drop, must
// show exactly the intended Uid, Gid, Groups, capability sets and
// NoNewPrivs in /proc/<pid>/task/*/status, and there must be no way back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/process.js';
import { killCalls, runCalls, type Call } from '../helpers/calls.js';
import { CAP, andHex, capHex, mismatches, readStatus, readThreads } from '../helpers/proc-status.js';
import { addGroup, addUser, removeCreated, uniqueName } from '../helpers/users.js';

const NONE = capHex();

if (!isRoot) console.log('change-credentials.test: skipped: dropping privileges needs root');

describe.skipIf(!isRoot)('changeCredentials (root)', () => {
  let tmp = '';
  let rootFile = '';
  let bounding = '';

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-drop-'));
    fs.chmodSync(tmp, 0o755);
    rootFile = path.join(tmp, 'root-owned');
    fs.writeFileSync(rootFile, 'x');
    bounding = readStatus('self').CapBnd!;
  });
  afterAll(() => {
    killCalls();
    removeCreated();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('drops to nobody keeping only CAP_NET_BIND_SERVICE on every thread, pool and worker started before', async () => {
    const run = await runCalls([
      ['threadCount'],
      ['fillPool'],
      ['startWorker'],
      ['threadCount'],
      ['changeCredentials', { user: 'nobody', capabilities: ['CAP_NET_BIND_SERVICE'] }],
      ['threadCount'],
      ['nodeSetuid', 0],
      ['nodeSetgid', 0],
      ['nodeSetgroups', [0]],
      ['setCapabilities', { effective: ['CAP_SYS_ADMIN'], permitted: ['CAP_SYS_ADMIN'], inheritable: [] }],
      ['readFile', '/etc/shadow'],
      ['readFileOnPool', '/etc/shadow'],
      ['kill', 1, 0],
      ['chown', rootFile, 65534, 65534],
      ['listen', 20],
    ]);
    try {
      const [atStart, , , before, drop, after, setuid, setgid, setgroups, raise, shadow, shadowOnPool, kill, chown, bind] = run.results;
      expect(drop).toMatchObject({ ok: true });
      // The pool (4 threads) and the worker existed when the drop ran.
      expect(before!.value).toBeGreaterThanOrEqual((atStart!.value as number) + 5);
      expect((drop!.value as unknown[]).length).toBe(before!.value);
      expect(after!.value).toBe(before!.value);
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(after!.value);
      expect(mismatches(threads, {
        Uid: '65534 65534 65534 65534',
        Gid: '65534 65534 65534 65534',
        Groups: '65534',
        CapInh: NONE,
        CapPrm: capHex(CAP.NET_BIND_SERVICE),
        CapEff: capHex(CAP.NET_BIND_SERVICE),
        CapBnd: andHex(bounding, capHex(CAP.NET_BIND_SERVICE)),
        CapAmb: NONE,
        NoNewPrivs: '1',
      })).toEqual([]);
      // No way back, and nothing it should not be able to do.
      expect(setuid).toMatchObject({ ok: false, code: 'EPERM', syscall: 'setuid' });
      expect(setgid).toMatchObject({ ok: false, code: 'EPERM', syscall: 'setgid' });
      expect(setgroups).toMatchObject({ ok: false, code: 'EPERM', syscall: 'setgroups' });
      expect(raise).toMatchObject({ ok: false, code: 'EPERM', syscall: 'capset' });
      expect(shadow).toMatchObject({ ok: false, code: 'EACCES', syscall: 'open' });
      expect(shadowOnPool).toMatchObject({ ok: false, code: 'EACCES', syscall: 'open' });
      expect(kill).toMatchObject({ ok: false, code: 'EPERM', syscall: 'kill' });
      expect(chown).toMatchObject({ ok: false, code: 'EPERM', syscall: 'chown' });
      // ... but the one thing it kept: a privileged port.
      expect(bind).toEqual({ ok: true, value: null });
    } finally {
      await run.finish();
    }
  });

  it('drops to nobody with no capabilities, pool and worker started after the drop', async () => {
    const run = await runCalls([
      ['threadCount'],
      // Numeric ids: a user lookup would start the pool before the drop.
      ['changeCredentials', { uid: 65534, gid: 65534, groups: [65534] }],
      ['fillPool'],
      ['startWorker'],
      ['threadCount'],
      ['readFileOnPool', '/etc/shadow'],
      ['listen', 20],
      ['nodeSetuid', 0],
    ]);
    try {
      const [before, drop, , , after, shadowOnPool, bind, setuid] = run.results;
      expect(drop).toMatchObject({ ok: true });
      expect((drop!.value as unknown[]).length).toBe(before!.value);
      // Four pool threads and the worker's thread came after the drop.
      expect(after!.value).toBeGreaterThanOrEqual((before!.value as number) + 5);
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(after!.value);
      expect(mismatches(threads, {
        Uid: '65534 65534 65534 65534',
        Gid: '65534 65534 65534 65534',
        Groups: '65534',
        CapInh: NONE,
        CapPrm: NONE,
        CapEff: NONE,
        CapBnd: NONE,
        CapAmb: NONE,
        NoNewPrivs: '1',
      })).toEqual([]);
      expect(shadowOnPool).toMatchObject({ ok: false, code: 'EACCES' });
      expect(bind).toMatchObject({ ok: false, code: 'EACCES', syscall: 'listen' });
      expect(setuid).toMatchObject({ ok: false, code: 'EPERM', syscall: 'setuid' });
    } finally {
      await run.finish();
    }
  });

  it('takes the groups of a user, chroots, sets rlimits, and keeps a capability across execve (ambient)', async () => {
    const group = uniqueName('psdg');
    const user = uniqueName('psdu');
    const gid = addGroup(group);
    const uid = addUser(user, { groups: [group] });
    const root = fs.mkdtempSync(path.join(tmp, 'root-'));
    fs.mkdirSync(path.join(root, 'srv'));
    const run = await runCalls([
      ['fillPool'],
      ['changeCredentials', {
        user,
        chroot: root,
        cwd: '/srv',
        rlimits: { nofile: 256, core: { soft: 0, hard: 0 } },
        capabilities: ['CAP_NET_BIND_SERVICE'],
        ambient: true,
      }],
      ['cwd'],
      ['exists', '/etc/passwd'],
      ['threadCount'],
      ['getResourceLimit', 'nofile'],
    ]);
    try {
      const [, drop, cwd, passwd, count, nofile] = run.results;
      expect(drop).toMatchObject({ ok: true });
      expect(cwd).toEqual({ ok: true, value: '/srv' });
      expect(passwd).toEqual({ ok: true, value: false });
      expect(fs.readlinkSync(`/proc/${run.pid}/root`)).toBe(root);
      expect(nofile).toEqual({ ok: true, value: { soft: 256, hard: 256 } });
      expect(fs.readFileSync(`/proc/${run.pid}/limits`, 'utf8')).toMatch(/^Max open files\s+256\s+256/m);
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(count!.value);
      expect(mismatches(threads, {
        Uid: `${uid} ${uid} ${uid} ${uid}`,
        Gid: '65534 65534 65534 65534',
        Groups: [gid, 65534].sort((a, b) => a - b).join(' '),
        CapInh: capHex(CAP.NET_BIND_SERVICE),
        CapPrm: capHex(CAP.NET_BIND_SERVICE),
        CapEff: capHex(CAP.NET_BIND_SERVICE),
        CapBnd: andHex(bounding, capHex(CAP.NET_BIND_SERVICE)),
        CapAmb: capHex(CAP.NET_BIND_SERVICE),
        NoNewPrivs: '1',
      })).toEqual([]);
    } finally {
      await run.finish();
    }
  });

  it('can stay uid 0 with fewer capabilities, and leaves no_new_privs off when asked', async () => {
    const run = await runCalls([
      ['fillPool'],
      ['changeCredentials', { capabilities: ['CAP_CHOWN', 'CAP_KILL'], noNewPrivs: false }],
      ['threadCount'],
    ]);
    try {
      expect(run.results[1]).toMatchObject({ ok: true });
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(run.results[2]!.value);
      expect(mismatches(threads, {
        Uid: '0 0 0 0',
        Gid: '0 0 0 0',
        CapPrm: capHex(CAP.CHOWN, CAP.KILL),
        CapEff: capHex(CAP.CHOWN, CAP.KILL),
        CapBnd: andHex(bounding, capHex(CAP.CHOWN, CAP.KILL)),
        CapInh: NONE,
        CapAmb: NONE,
        NoNewPrivs: '0',
      })).toEqual([]);
    } finally {
      await run.finish();
    }
  });

  it('refuses bad options before changing anything', async () => {
    const calls: Call[] = [
      ['changeCredentials', { user: 'nobody', capabilites: ['CAP_NET_BIND_SERVICE'] }],
      ['changeCredentials', { uid: 65534 }],
      ['changeCredentials', { user: 'no-such-user-privsep' }],
      ['changeCredentials', { user: 'nobody', capabilities: ['CAP_NOPE'] }],
      ['changeCredentials', { user: 'nobody', chroot: 'relative/dir' }],
      ['changeCredentials', { user: 'nobody', chroot: path.join(tmp, 'missing') }],
      ['changeCredentials', { user: 'nobody', chroot: rootFile }],
      ['changeCredentials', { user: 'nobody', rlimits: { nofiles: 10 } }],
      ['changeCredentials', { user: 'nobody', noNewPrivs: 'yes' }],
      ['threadCount'],
    ];
    const run = await runCalls(calls);
    try {
      expect(run.results.slice(0, 9)).toMatchObject([
        { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
        { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
        { ok: false, code: 'ERR_PRIVSEP_UNKNOWN_USER' },
        { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
        { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
        { ok: false, code: 'ENOENT' },
        { ok: false, code: 'ENOTDIR', syscall: 'chdir' },
        { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
        { ok: false, code: 'ERR_INVALID_ARG_TYPE' },
      ]);
      expect(mismatches(readThreads(run.pid), {
        Uid: '0 0 0 0',
        Groups: readStatus('self').Groups!,
        CapEff: readStatus('self').CapEff!,
        CapBnd: bounding,
        NoNewPrivs: '0',
      })).toEqual([]);
    } finally {
      await run.finish();
    }
  });

  it('gives an unprivileged caller EPERM and changes nothing', async () => {
    const run = await runCalls([
      ['fillPool'],
      ['changeCredentials', { uid: 65534, gid: 65534 }],
      ['changeCredentials', { capabilities: [], noNewPrivs: false }],
      ['threadCount'],
    ], { uid: 65534, gid: 65534 });
    try {
      expect(run.results[1]).toMatchObject({ ok: false, code: 'EPERM', syscall: 'setgroups' });
      expect(run.results[2]).toMatchObject({ ok: false, code: 'EPERM', syscall: 'prctl' });
      expect(mismatches(readThreads(run.pid), { CapBnd: bounding, NoNewPrivs: '0' })).toEqual([]);
    } finally {
      await run.finish();
    }
  });
});
