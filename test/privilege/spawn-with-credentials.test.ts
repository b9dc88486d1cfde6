// spawnWithCredentials: the child's /proc/<pid>/status shows exactly the
// credentials asked for, the fds arrive at the chosen numbers and no others,
// exit status and signals come back through the pidfd, and failures in the
// child come back as Node-shaped errors.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketPair, spawnWithCredentials, type FdHandle } from 'privsep';
import { native } from '../../src/native.js';
import { isRoot, openFdCount, waitFor } from '../helpers/process.js';
import { CAP, andHex, capHex, readStatus } from '../helpers/proc-status.js';

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-spawn-'));
  fs.chmodSync(tmp, 0o755);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Everything the peer writes until it closes, as text. */
function readAll(handle: FdHandle): Promise<string> {
  const socket = handle.toSocket();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
}

/** Runs `file args` with fd 1 on a socket; resolves its output and exit status. */
async function capture(file: string, args: string[], options: Parameters<typeof spawnWithCredentials>[2] = {}) {
  const [ours, theirs] = socketPair();
  let child;
  try {
    child = spawnWithCredentials(file, args, { ...options, fds: { ...options.fds, 1: theirs } });
  } finally {
    theirs.close();
  }
  const [output, status] = await Promise.all([readAll(ours), child.exited]);
  return { output, status };
}

describe('spawnWithCredentials', () => {
  it('runs a program with the given environment and working directory, and reports its exit code', async () => {
    const { output, status } = await capture('sh', ['-c', 'echo "$GREETING"; pwd; exit 7'], {
      env: { GREETING: 'hello', PATH: '/usr/bin:/bin' },
      cwd: tmp,
    });
    expect(output).toBe(`hello\n${tmp}\n`);
    expect(status).toEqual({ code: 7, signal: null });
  });

  it('passes argv and argv0', async () => {
    const { output } = await capture('/bin/sh', ['-c', 'echo "$0|$1|$2"', 'a b', 'c'], { argv0: 'name-zero' });
    expect(output).toBe('a b|c|\n');
  });

  it('places fds at the chosen numbers and closes every other fd', async () => {
    const [ours, theirs] = socketPair();
    const file = path.join(tmp, 'passed.txt');
    fs.writeFileSync(file, 'x');
    const fileFd = fs.openSync(file, 'r');
    // A descriptor without close-on-exec must not leak into the child either.
    const stray = fs.openSync(file, 'r');
    native.setCloexec(stray, false);
    const child = spawnWithCredentials('/bin/sleep', ['30'], { fds: { 3: theirs, 7: fileFd } });
    const fdsOfChild = (): number[] => fs.readdirSync(`/proc/${child.pid}/fd`).map(Number).sort((a, b) => a - b);
    try {
      // The dynamic loader holds a file or two open while the program
      // starts: look once sleep is sleeping.
      await waitFor(() => fs.readFileSync(`/proc/${child.pid}/wchan`, 'utf8').includes('nanosleep'), 5000, 'sleep to sleep');
      expect(fdsOfChild()).toEqual([0, 1, 2, 3, 7]);
      expect(fs.readlinkSync(`/proc/${child.pid}/fd/3`)).toBe(`socket:[${fs.fstatSync(theirs.fd).ino}]`);
      expect(fs.readlinkSync(`/proc/${child.pid}/fd/7`)).toBe(file);
      // Placed fds survive execve: no close-on-exec flag (O_CLOEXEC is octal 2000000).
      for (const fd of [3, 7]) {
        const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/${child.pid}/fdinfo/${fd}`, 'utf8'))![1]!;
        expect(Number.parseInt(flags, 8) & 0o2000000).toBe(0);
      }
    } finally {
      child.kill('SIGKILL');
      await child.exited;
      theirs.close();
      ours.close();
      fs.closeSync(fileFd);
      fs.closeSync(stray);
    }
  });

  it('reports a signal, refuses kill after exit, and leaks no fd', async () => {
    const before = openFdCount();
    const child = spawnWithCredentials('/bin/sleep', ['30']);
    expect(child.exitStatus).toBeNull();
    expect(child.kill()).toBe(true);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.exitStatus).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.kill('SIGKILL')).toBe(false);
    expect(() => child.kill('SIGNOPE' as NodeJS.Signals)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(openFdCount()).toBe(before);
  });

  it('sets no_new_privs by default, and not when told', async () => {
    for (const [option, want] of [[undefined, '1'], [false, '0']] as const) {
      const child = spawnWithCredentials('/bin/sleep', ['30'], option === undefined ? {} : { noNewPrivs: option });
      try {
        expect(readStatus(child.pid).NoNewPrivs).toBe(want);
      } finally {
        child.kill('SIGKILL');
        await child.exited;
      }
    }
  });

  it('starts a new session with setsid', async () => {
    const child = spawnWithCredentials('/bin/sleep', ['30'], { setsid: true });
    try {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      expect(Number(fields[3])).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  });

  it('throws Node-shaped errors for what fails in the child', () => {
    expect(() => spawnWithCredentials('/nonexistent/program')).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve', path: '/nonexistent/program', errno: -os.constants.errno.ENOENT }),
    );
    // A PATH entry the caller may not search gives EACCES, as with execvp: use a plain PATH.
    expect(() => spawnWithCredentials('no-such-program-privsep', [], { env: { PATH: '/usr/bin:/bin' } })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'execve' }),
    );
    const plain = path.join(tmp, 'not-executable');
    fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    expect(() => spawnWithCredentials(plain)).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'execve' }));
    expect(() => spawnWithCredentials('/bin/true', [], { cwd: path.join(tmp, 'missing') })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'chdir' }),
    );
    expect(() => spawnWithCredentials('/bin/true', [], { fds: { 3: 1_000_000 } })).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
  });

  it('rejects bad arguments before starting anything', () => {
    const bad: Array<[string, unknown[], object, string]> = [
      ['', [], {}, 'ERR_INVALID_ARG_VALUE'],
      ['/bin/true', ['a\0b'], {}, 'ERR_INVALID_ARG_TYPE'],
      ['/bin/true', [], { uid: -5 }, 'ERR_OUT_OF_RANGE'],
      ['/bin/true', [], { gruops: [1] }, 'ERR_INVALID_ARG_VALUE'],
      ['/bin/true', [], { fds: { '-1': 0 } }, 'ERR_INVALID_ARG_VALUE'],
      ['/bin/true', [], { fds: { 3: 'pipe' } }, 'ERR_INVALID_ARG_TYPE'],
      ['/bin/true', [], { env: { 'A=B': 'x' } }, 'ERR_INVALID_ARG_VALUE'],
      ['/bin/true', [], { capabilities: ['CAP_NOPE'] }, 'ERR_INVALID_ARG_VALUE'],
      ['/bin/true', [], { chroot: 'relative' }, 'ERR_INVALID_ARG_VALUE'],
    ];
    for (const [file, args, options, code] of bad) {
      expect(() => spawnWithCredentials(file, args as string[], options)).toThrow(expect.objectContaining({ code }));
    }
  });
});

if (!isRoot) console.log('spawn-with-credentials.test: identity and capability tests skipped: they need root');

describe.skipIf(!isRoot)('spawnWithCredentials with a new identity (root)', () => {
  it('starts the child with exactly the uid, gid, groups and capabilities asked for', async () => {
    const bounding = readStatus('self').CapBnd!;
    const child = spawnWithCredentials('/bin/sleep', ['30'], {
      uid: 65534,
      gid: 65534,
      groups: [65534, 4242],
      capabilities: ['CAP_NET_BIND_SERVICE'],
      cwd: '/',
    });
    try {
      const status = readStatus(child.pid);
      expect(status).toMatchObject({
        Uid: '65534 65534 65534 65534',
        Gid: '65534 65534 65534 65534',
        Groups: '4242 65534',
        CapInh: capHex(CAP.NET_BIND_SERVICE),
        CapPrm: capHex(CAP.NET_BIND_SERVICE),
        CapEff: capHex(CAP.NET_BIND_SERVICE),
        CapBnd: andHex(bounding, capHex(CAP.NET_BIND_SERVICE)),
        CapAmb: capHex(CAP.NET_BIND_SERVICE),
        NoNewPrivs: '1',
      });
      expect(fs.readlinkSync(`/proc/${child.pid}/cwd`)).toBe('/');
    } finally {
      child.kill();
      await child.exited;
    }
  });

  it('clears root\'s supplementary groups and gives no capability by default', async () => {
    const child = spawnWithCredentials('/bin/sleep', ['30'], { uid: 65534, gid: 65534 });
    try {
      expect(readStatus(child.pid)).toMatchObject({ Uid: '65534 65534 65534 65534', Groups: '', CapPrm: capHex(), CapEff: capHex(), CapAmb: capHex() });
    } finally {
      child.kill();
      await child.exited;
    }
  });

  it('starts a program in an empty network namespace: it cannot connect anywhere', async () => {
    const script = "const fs=require('fs');console.log(fs.readlinkSync('/proc/self/ns/net'));" +
      "require('net').connect(9, '127.0.0.1').on('error', (e) => console.log(e.code))";
    const { output, status } = await capture(process.execPath, ['-e', script], { uid: 65534, gid: 65534, newNetworkNamespace: true });
    const [namespace, error] = output.trim().split('\n');
    expect(status).toEqual({ code: 0, signal: null });
    expect(namespace).toMatch(/^net:\[\d+\]$/);
    expect(namespace).not.toBe(fs.readlinkSync('/proc/self/ns/net'));
    expect(error).toBe('ENETUNREACH');
  });

  it('lets a program run as nobody bind a privileged port only with the ambient capability', async () => {
    const script = "require('net').createServer().once('error', (e) => { console.log(e.code); process.exit(0) }).listen(19, '127.0.0.1', function () { console.log('bound'); this.close() })";
    const withCap = await capture(process.execPath, ['-e', script], { uid: 65534, gid: 65534, capabilities: ['CAP_NET_BIND_SERVICE'] });
    expect(withCap).toEqual({ output: 'bound\n', status: { code: 0, signal: null } });
    const without = await capture(process.execPath, ['-e', script], { uid: 65534, gid: 65534 });
    expect(without).toEqual({ output: 'EACCES\n', status: { code: 0, signal: null } });
  });

  it('fails with EACCES when the new identity may not execute the program', () => {
    const secret = path.join(tmp, 'root-only');
    fs.copyFileSync('/bin/true', secret);
    fs.chmodSync(secret, 0o700);
    expect(() => spawnWithCredentials(secret, [], { uid: 65534, gid: 65534 })).toThrow(
      expect.objectContaining({ code: 'EACCES', syscall: 'execve' }),
    );
  });

  const cc = spawnSync('cc', ['--version']).status === 0;
  if (!cc) console.log('spawn-with-credentials.test: chroot test skipped: no C compiler to build a static program');
  it.skipIf(!cc)('runs the program inside a chroot', async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'root-'));
    fs.chmodSync(root, 0o755);
    fs.mkdirSync(path.join(root, 'work'), { mode: 0o755 });
    const source = path.join(tmp, 'where.c');
    fs.writeFileSync(source, '#include <stdio.h>\n#include <unistd.h>\nint main(void) { char b[256]; if (!getcwd(b, sizeof b)) return 1; printf("%s %d %d\\n", b, access("/etc/passwd", F_OK) == 0, (int)getuid()); return 0; }\n');
    const built = spawnSync('cc', ['-static', '-o', path.join(root, 'where'), source], { encoding: 'utf8' });
    if (built.status !== 0) {
      console.log(`spawn-with-credentials.test: chroot test skipped: static link failed: ${built.stderr}`);
      return;
    }
    const { output, status } = await capture('/where', [], { chroot: root, cwd: '/work', uid: 65534, gid: 65534 });
    expect(output).toBe('/work 0 65534\n');
    expect(status).toEqual({ code: 0, signal: null });
  });
});
