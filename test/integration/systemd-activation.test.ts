// miniftp and handoffd as systemd starts them, without systemd as PID 1:
// systemd-socket-activate binds the port and execs the server with the
// listener (LISTEN_FDS); the server runs with the capability bounding set
// and no_new_privs its unit file declares (setpriv); this test's own
// NOTIFY_SOCKET receives READY=1, WATCHDOG=1 and STOPPING=1. Real clients
// (ftplib, curl) come in through the inherited listeners. The unit files
// pass systemd-analyze verify.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectOutcome } from '../helpers/connect.js';
import { descendants, freePort } from '../helpers/ftp-servers.js';
import { curl, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, miniftpMain, startMiniftp } from '../helpers/miniftp-server.js';
import { createPamService } from '../helpers/pam-service.js';
import { bindNotifySocket, type NotifySocket } from '../helpers/notify-socket.js';
import { isAlive, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';
import { lacksTools } from '../helpers/tools.js';
import { capHex, readStatus } from '../helpers/proc-status.js';
import { CAPABILITIES, type CapabilityName } from '../../src/index.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');
const units = {
  miniftp: path.join(root, 'examples', 'miniftp'),
  handoff: path.join(root, 'examples', 'handoff'),
};

/** The value of `key` in a unit file (the last assignment wins, as in systemd). */
function unitSetting(file: string, key: string): string {
  const values = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
  if (values.length === 0) throw new Error(`${file} sets no ${key}=`);
  return values.at(-1)!;
}

/**
 * setpriv with the unit's CapabilityBoundingSet= and NoNewPrivileges=, then
 * systemd-socket-activate with `listen` and `fdnames`, passing NOTIFY_SOCKET
 * and a watchdog of `watchdogUsec`.
 */
function launcher(unit: string, notify: NotifySocket, listen: number[], fdnames: string[], watchdogUsec: number): string[] {
  const caps = unitCapabilities(unit).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
  expect(unitSetting(unit, 'NoNewPrivileges')).toBe('yes');
  return [
    'setpriv', '--bounding-set', ['-all', ...caps].join(','), '--inh-caps', '-all', '--no-new-privs',
    'systemd-socket-activate', ...listen.map((port) => `--listen=127.0.0.1:${port}`), `--fdname=${fdnames.join(':')}`,
    `--setenv=NOTIFY_SOCKET=${notify.address}`, `--setenv=WATCHDOG_USEC=${watchdogUsec}`,
  ];
}

function unitCapabilities(unit: string): CapabilityName[] {
  return unitSetting(unit, 'CapabilityBoundingSet').trim().split(/\s+/) as CapabilityName[];
}

/** Whether `pid` runs with exactly the unit's bounding set, and no_new_privs. */
function expectUnitLimits(pid: number, unit: string): void {
  const status = readStatus(pid);
  expect(status.CapBnd).toBe(capHex(...unitCapabilities(unit).map((c) => CAPABILITIES.indexOf(c))));
  expect(status.NoNewPrivs).toBe('1');
}


/** Waits until systemd-socket-activate listens on `port` (it execs the server at the first connection). */
async function waitForListener(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the launcher exited (${child.exitCode}) before it listened on ${port}`);
    // A probe that connects is the first connection: it starts the server (and closes at once).
    if ((await connectOutcome(port)) !== 'ECONNREFUSED') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on ${port} within 20 s`);
}

const skip = !requireRoot('systemd socket activation') || lacksTools('systemd socket activation', 'systemd-socket-activate', 'setpriv', 'curl', 'systemd-analyze');

describe.skipIf(skip)('miniftp under socket activation', () => {
  const dir = scratchDir('miniftp-systemd-');
  afterAll(() => dir.remove());

  it('serves logins and uploads on the listener it was given, binds none of its own, and says READY, WATCHDOG and STOPPING', async () => {
    const notify = bindNotifySocket(dir.path);
    const user = createUser('mfsd', 'sd-secret');
    const pam = createPamService('mfsd');
    let server: Awaited<ReturnType<typeof startMiniftp>> | null = null;
    try {
      // A home only its user can enter: the worker chroots into it while still root.
      fs.chmodSync(user.home, 0o700);
      fs.writeFileSync(path.join(user.home, 'hello.txt'), 'hello through systemd\n');
      fs.chownSync(path.join(user.home, 'hello.txt'), user.uid, user.gid);
      // Anonymous uploads given to the local user (chown_uploads: the master's fchown).
      const anonRoot = path.join(dir.path, 'anon');
      fs.chmodSync(dir.path, 0o755);
      fs.mkdirSync(path.join(anonRoot, 'incoming'), { recursive: true, mode: 0o755 });
      const activated = await freePort();
      const configured = await freePort();
      const starting = startMiniftp({
        listen_port: configured, pam_service_name: pam.name, chroot_local_user: 'YES', allow_writeable_chroot: 'YES', spare_workers: 0,
        anonymous_enable: 'YES', anon_root: anonRoot, write_enable: 'YES', anon_upload_enable: 'YES', chown_uploads: 'YES', chown_username: user.name,
      }, {
        launcher: launcher(path.join(units.miniftp, 'miniftp.service'), notify, [activated], ['ftp'], 2_000_000),
      });
      // The first connection execs miniftp; ftplib's waits in the backlog meanwhile.
      const session = ftplibSteps(activated, {
        user: user.name, password: 'sd-secret', timeout: 60,
        steps: [{ op: 'cmd', line: 'PWD' }, { op: 'list', verb: 'NLST', mode: 'pasv' }, { op: 'retr', path: 'hello.txt', mode: 'epsv' }, { op: 'quit' }],
      });
      server = await starting;
      expect(server.port).toBe(activated);
      expectUnitLimits(server.pid, path.join(units.miniftp, 'miniftp.service'));
      expect(server.output()).toMatch(/listening on 127\.0\.0\.1:\d+ \(from systemd\)/);
      const ready = await notify.waitFor('READY=1');
      expect(ready).toContain(`MAINPID=${server.pid}`);
      expect(ready).toContain(`STATUS=listening on 127.0.0.1:${activated}`);
      const results = await session;
      expect(results[1]!.reply).toMatch(/^230/);
      expect(pam.sessionEvents()[0]).toMatch(new RegExp(`^open_session ${user.name} `));
      expect(results[2]!.reply).toBe('257 "/" is the current directory');
      expect(results[3]!.text).toContain('hello.txt');
      expect(results[4]!.bytes).toBe('hello through systemd\n'.length);
      fs.chownSync(path.join(anonRoot, 'incoming'), server.anonymous!.uid, server.anonymous!.gid);
      fs.writeFileSync(path.join(dir.path, 'up.txt'), 'uploaded through systemd\n');
      await curl(['-T', path.join(dir.path, 'up.txt'), `ftp://anonymous:guest@127.0.0.1:${activated}/incoming/up.txt`], 60_000);
      expect(fs.statSync(path.join(anonRoot, 'incoming', 'up.txt')).uid).toBe(user.uid);
      // listen_port was never bound: the configured port refuses.
      expect(await connectOutcome(configured)).toBe('ECONNREFUSED');
      // WatchdogSec=2s: a keep-alive every second.
      expect(await notify.waitFor('WATCHDOG=1', 10_000)).toBe('WATCHDOG=1');
      await server.stop();
      expect(await notify.waitFor('STOPPING=1')).toContain('STOPPING=1');
      // A clean stop: the master could signal its workers, which run as the users (CAP_KILL).
      expect(server.child.exitCode).toBe(0);
      server = null;
    } finally {
      await server?.stop();
      user.remove();
      pam.remove();
      notify.close();
    }
  });

  it('an upgrade (SIGUSR2) makes the new generation the main process: MAINPID= from the old, READY=1 and WATCHDOG=1 from the new, no STOPPING=1', async () => {
    const notify = bindNotifySocket(dir.path);
    const activated = await freePort();
    let server: Awaited<ReturnType<typeof startMiniftp>> | null = null;
    let next = 0;
    try {
      const starting = startMiniftp({ listen_port: await freePort(), spare_workers: 0 }, {
        launcher: launcher(path.join(units.miniftp, 'miniftp.service'), notify, [activated], ['ftp'], 2_000_000),
      });
      // The first connection execs miniftp.
      for (let i = 0; i < 200 && (await connectOutcome(activated)) !== 'connected'; i++) await new Promise((r) => setTimeout(r, 100));
      server = await starting;
      expect(await notify.waitFor('READY=1')).toContain(`MAINPID=${server.pid}`);
      process.kill(server.pid, 'SIGUSR2');
      const told: string[] = [];
      // The old master's MAINPID= and the new one's READY=1, in either order.
      for (let i = 0; i < 50 && !(told.some((d) => /^MAINPID=\d+$/.test(d)) && told.some((d) => d.startsWith('READY=1'))); i++) told.push(await notify.next());
      const handedTo = told.find((d) => /^MAINPID=\d+$/.test(d));
      expect(handedTo).toBeDefined();
      next = Number(handedTo!.slice('MAINPID='.length));
      expect(next).not.toBe(server.pid);
      expect(told.find((d) => d.startsWith('READY=1'))).toContain(`MAINPID=${next}`);
      // The old master had no session: it ends at once, without STOPPING=1.
      await waitFor(() => server!.child.exitCode !== null, 30_000, 'the old generation to exit');
      expect(server.child.exitCode).toBe(0);
      // The new generation keeps the watchdog alive (WATCHDOG_PID named the old one) and serves the same socket.
      const later: string[] = [];
      while (!later.includes('WATCHDOG=1')) later.push(await notify.next(10_000));
      expect([...told, ...later].filter((d) => d.includes('STOPPING=1'))).toEqual([]);
      const [welcome] = await ftplibSteps(activated, { user: null, timeout: 30, steps: [{ op: 'quit' }] });
      expect(welcome!.welcome).toMatch(/^220/);
      expect(server.output()).toMatch(new RegExp(`pid ${next} took the listener from pid ${server.pid}`));
      expect(server.output()).toMatch(/listening on 127\.0\.0\.1:\d+ \(from systemd\)[^]*listening on 127\.0\.0\.1:\d+ \(from systemd\)/);
      expect(isAlive(next)).toBe(true);
      process.kill(next, 'SIGTERM');
      expect(await notify.waitFor('STOPPING=1')).toContain('STOPPING=1');
      await waitFor(() => !isAlive(next), 15_000, 'the new generation to stop');
    } finally {
      if (next && isAlive(next)) {
        for (const pid of [next, ...descendants(next)]) process.kill(pid, 'SIGKILL');
      }
      await server?.stop();
      notify.close();
    }
  });

  it('refuses to start with more than one socket, saying what it got', async () => {
    const notify = bindNotifySocket(dir.path);
    const conf = path.join(dir.path, 'two.conf');
    fs.writeFileSync(conf, `listen_address=127.0.0.1\nlisten_port=0\nsecure_chroot_dir=${path.join(dir.path, 'empty')}\n`);
    const ports = [await freePort(), await freePort()];
    const command = [...launcher(path.join(units.miniftp, 'miniftp.service'), notify, ports, ['ftp', 'admin'], 2_000_000), process.execPath, miniftpMain, conf];
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForListener(ports[0]!, child);
      expect(await exited).toBe(2);
      expect(stderr).toContain('miniftp: systemd passed 2 sockets (ftp, admin); miniftp serves one control listener');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      notify.close();
    }
  });
});

describe.skipIf(skip)('handoffd under socket activation', () => {
  const dir = scratchDir('handoffd-systemd-');
  afterAll(() => dir.remove());
  const daemon = path.join(root, 'dist', 'examples', 'handoff', 'handoffd.js');

  it('serves HTTP and HTTPS on the listeners matched by name, binds none of its own, and says READY and STOPPING', async () => {
    const notify = bindNotifySocket(dir.path);
    const [https, http, unusedPlain, unusedTls] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // The TLS socket comes first: the names, not the order, say which is which.
    const command = [
      ...launcher(path.join(units.handoff, 'handoffd.service'), notify, [https!, http!], ['https', 'http'], 2_000_000),
      process.execPath, daemon, '--port', String(unusedPlain), '--tls-port', String(unusedTls), '--state-dir', path.join(dir.path, 'state'), '--workers', '1',
    ];
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let pids: number[] = [];
    try {
      await waitForListener(http!, child);
      const plain = await run('curl', ['-sS', '--max-time', '60', `http://127.0.0.1:${http}/`]);
      expect(plain.stdout).toMatch(/^handoffd worker pid=\d+ uid=65534 http for 127\.0\.0\.1/);
      const secure = await run('curl', ['-sSk', '--max-time', '30', `https://127.0.0.1:${https}/`]);
      expect(secure.stdout).toMatch(/uid=65534 https for 127\.0\.0\.1/);
      const ready = await notify.waitFor('READY=1');
      expect(ready).toContain(`MAINPID=${child.pid}`);
      expectUnitLimits(child.pid!, path.join(units.handoff, 'handoffd.service'));
      expect(output).toMatch(new RegExp(`listening on http://127\\.0\\.0\\.1:${http} and https://127\\.0\\.0\\.1:${https} \\(from systemd\\)`));
      expect(await connectOutcome(unusedPlain!)).toBe('ECONNREFUSED');
      expect(await connectOutcome(unusedTls!)).toBe('ECONNREFUSED');
      expect(await notify.waitFor('WATCHDOG=1', 10_000)).toBe('WATCHDOG=1');
      pids = descendants(child.pid!);
      child.kill('SIGTERM');
      expect(await notify.waitFor('STOPPING=1')).toContain('STOPPING=1');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      expect(child.exitCode).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await waitFor(() => !pids.some(isAlive), 10_000, 'handoffd workers to exit').catch(() => {
        for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
      });
      notify.close();
    }
  });
});

describe.skipIf(skip)('the unit files', () => {
  const dir = scratchDir('units-');
  afterAll(() => dir.remove());

  it('pass systemd-analyze verify, and security --offline rates them low', async () => {
    // verify checks that ExecStart's program exists: a stand-in at a path of
    // this test replaces /usr/local/bin; every other line is verified as written.
    const bin = path.join(dir.path, 'bin');
    fs.mkdirSync(bin);
    const files = [
      path.join(units.miniftp, 'miniftp.service'), path.join(units.miniftp, 'miniftp.socket'),
      path.join(units.handoff, 'handoffd.service'), path.join(units.handoff, 'handoffd-http.socket'), path.join(units.handoff, 'handoffd-https.socket'),
    ];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      for (const [, program] of text.matchAll(/^ExecStart=\/usr\/local\/bin\/(\S+)/gm)) {
        fs.writeFileSync(path.join(bin, program!), '#!/bin/sh\n', { mode: 0o755 });
      }
      fs.writeFileSync(path.join(dir.path, path.basename(file)), text.replaceAll('/usr/local/bin/', `${bin}/`));
    }
    const copies = files.map((f) => path.join(dir.path, path.basename(f)));
    // Warnings (an unknown key, a bad value) go to stderr with status 0: both must be clean.
    const verified = await run('systemd-analyze', ['verify', '--man=no', ...copies], { cwd: dir.path, timeout: 60_000 });
    expect(verified.stderr).toBe('');
    for (const service of ['miniftp.service', 'handoffd.service']) {
      const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', path.join(dir.path, service)], { timeout: 60_000 });
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(stdout)![1]);
      expect(level).toBeLessThan(5);
    }
  });
});
