// The FUSE layer through the real kernel, as root: a child process mounts
// MemFs with fusermount3 (test/fixtures/fuse-memfs.mjs) and the test drives
// the mount with coreutils; unmounting from outside, by SIGTERM, by the
// server's own unmount(), and after SIGKILL leaves no mount and no process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/root.js';
import { fixture, waitFor } from '../helpers/process.js';
import { fuseUnavailable, isMounted, processesNaming, unmountFuse } from '../helpers/mounts.js';
import { scratchDir } from '../helpers/scratch.js';

const execFileAsync = promisify(execFile);

function fuseAvailable(): boolean {
  const why = fuseUnavailable();
  if (why) console.log(`skipping FUSE integration: ${why}`);
  return why === null;
}
const enabled = requireRoot('FUSE integration') && fuseAvailable();

/** Runs a command with a bound on its time; resolves to stdout. */
async function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' }, ...options });
  return stdout;
}

/** Runs a command that must fail; resolves to its stderr and exit code. */
async function fails(command: string, args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await execFileAsync(command, args, { timeout: 60_000, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
  throw new Error(`${command} ${args.join(' ')} succeeded`);
}

const scratch = scratchDir('privsep-fuse-');

interface Server {
  child: ChildProcess;
  mountpoint: string;
  events: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  event(name: string, ms?: number): Promise<Record<string, unknown>>;
  send(line: string): void;
}

const servers: Server[] = [];

async function startServer(options: Record<string, unknown> = {}): Promise<Server> {
  const mountpoint = fs.mkdtempSync(path.join(scratch.path, 'mnt-'));
  const child = spawn(process.execPath, [fixture('fuse-memfs.mjs'), mountpoint, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      events.push(JSON.parse(pending.slice(0, nl)) as Record<string, unknown>);
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const server: Server = {
    child, mountpoint, events, exited,
    async event(name, ms = 20_000) {
      await waitFor(() => events.some((e) => e.event === name) || child.exitCode !== null || child.signalCode !== null, ms, `"${name}" from the FUSE server`);
      const found = events.find((e) => e.event === name);
      if (!found) throw new Error(`FUSE server ended without "${name}": ${JSON.stringify(events)}\n${stderr}`);
      return found;
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
  };
  servers.push(server);
  await server.event('mounted');
  return server;
}

/** The server is gone, exited 0, and left neither a mount nor a process behind. */
async function expectCleanEnd(server: Server): Promise<void> {
  expect(await server.exited).toEqual({ code: 0, signal: null });
  expect(server.events.filter((e) => e.event === 'session-error')).toEqual([]);
  expect(isMounted(server.mountpoint)).toBe(false);
  await waitFor(() => processesNaming(server.mountpoint).length === 0, 10_000, 'no process naming the mountpoint');
}

afterAll(async () => {
  for (const server of servers) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    if (isMounted(server.mountpoint)) await run('fusermount3', ['-u', '-z', '--', server.mountpoint]).catch(() => {});
  }
  scratch.remove();
});

describe.skipIf(!enabled)('FUSE: MemFs mounted through fusermount3, driven by coreutils', () => {
  let server: Server;
  let mnt: string;
  let local: string;

  it('mounts as fuse.memfs and negotiates protocol 7.31', async () => {
    local = path.join(scratch.path, 'local');
    fs.mkdirSync(local);
    server = await startServer({ readdirPlus: true, maxWrite: 1024 * 1024, autoUnmount: false });
    mnt = server.mountpoint;
    expect(server.events[0]).toMatchObject({ event: 'mounted', protocol: { major: 7, minor: 31 } });
    const line = fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === mnt);
    expect(line).toMatch(/^memfs \S+ fuse\.memfs rw,.*default_permissions/);
  });

  it('ls -la, mkdir, cp in, cat, stat', async () => {
    expect((await run('ls', ['-la', mnt])).split('\n').filter((l) => / \.\.?$/.test(l))).toHaveLength(2);
    await run('mkdir', [path.join(mnt, 'dir')]);
    fs.writeFileSync(path.join(local, 'hello.txt'), 'hello, fuse!\n');
    await run('cp', [path.join(local, 'hello.txt'), path.join(mnt, 'dir', 'hello.txt')]);
    expect(await run('cat', [path.join(mnt, 'dir', 'hello.txt')])).toBe('hello, fuse!\n');
    expect(await run('stat', ['-c', '%s %a %F %h %u', path.join(mnt, 'dir', 'hello.txt')])).toBe('13 644 regular file 1 0\n');
    expect(await run('stat', ['-c', '%a %F %h', path.join(mnt, 'dir')])).toBe('755 directory 2\n');
    const listing = await run('ls', ['-la', path.join(mnt, 'dir')]);
    expect(listing).toMatch(/-rw-r--r-- 1 root root +13 .* hello\.txt\n/);
    expect(await fails('cat', [path.join(mnt, 'missing')])).toMatchObject({ stderr: expect.stringMatching(/No such file or directory/) });
  });

  it('cp out, mv, rm, rmdir', async () => {
    await run('cp', [path.join(mnt, 'dir', 'hello.txt'), path.join(local, 'copied.txt')]);
    expect(fs.readFileSync(path.join(local, 'copied.txt'), 'utf8')).toBe('hello, fuse!\n');
    await run('mkdir', [path.join(mnt, 'other')]);
    await run('mv', [path.join(mnt, 'dir', 'hello.txt'), path.join(mnt, 'other', 'moved.txt')]);
    expect(await run('ls', [path.join(mnt, 'dir')])).toBe('');
    expect(await run('cat', [path.join(mnt, 'other', 'moved.txt')])).toBe('hello, fuse!\n');
    await run('mv', [path.join(mnt, 'other'), path.join(mnt, 'renamed')]);
    expect((await run('ls', [mnt])).split('\n').filter(Boolean).sort()).toEqual(['dir', 'renamed']);
    expect(await fails('rmdir', [path.join(mnt, 'renamed')])).toMatchObject({ stderr: expect.stringMatching(/not empty/) });
    await run('rm', [path.join(mnt, 'renamed', 'moved.txt')]);
    await run('rmdir', [path.join(mnt, 'renamed'), path.join(mnt, 'dir')]);
    expect(await run('ls', ['-A', mnt])).toBe('');
  });

  it('truncate and touch -d', async () => {
    const file = path.join(mnt, 'sized');
    await run('sh', ['-c', 'printf abcdef > "$1"', 'sh', file]);
    await run('truncate', ['-s', '100', file]);
    expect(await run('stat', ['-c', '%s', file])).toBe('100\n');
    fs.writeFileSync(path.join(local, 'grown'), Buffer.concat([Buffer.from('abcdef'), Buffer.alloc(94)]));
    await run('cmp', [file, path.join(local, 'grown')]);
    await run('truncate', ['-s', '3', file]);
    expect(await run('cat', [file])).toBe('abc');
    await run('touch', ['-d', '2001-02-03 04:05:06.25 UTC', file]);
    expect(await run('stat', ['-c', '%Y %X', file])).toBe('981173106 981173106\n');
    expect(await run('stat', ['-c', '%y', file])).toMatch(/^2001-02-03 04:05:06\.25/);
    await run('touch', [file]);
    expect(Number(await run('stat', ['-c', '%Y', file]))).toBeGreaterThan(981173106);
    await run('chmod', ['600', file]);
    expect(await run('stat', ['-c', '%a', file])).toBe('600\n');
    await run('rm', [file]);
  });

  it('dd of a multi-MiB file in and out, with matching sha256', async () => {
    const source = path.join(local, 'random.bin');
    const data = crypto.randomBytes(8 * 1024 * 1024 + 4321);
    fs.writeFileSync(source, data);
    const digest = crypto.createHash('sha256').update(data).digest('hex');
    await run('dd', [`if=${source}`, `of=${path.join(mnt, 'random.bin')}`, 'bs=1M', 'status=none']);
    expect(await run('stat', ['-c', '%s', path.join(mnt, 'random.bin')])).toBe(`${data.length}\n`);
    expect((await run('sha256sum', [path.join(mnt, 'random.bin')])).split(' ')[0]).toBe(digest);
    // Several readers at once, with different block sizes; each open drops the
    // cached pages (no keepCache), so the bytes come from the server again.
    const copies = await Promise.all([4096, 65536, 1 << 20].map(async (bs) => {
      const out = path.join(local, `out-${bs}.bin`);
      await run('dd', [`if=${path.join(mnt, 'random.bin')}`, `of=${out}`, `bs=${bs}`, 'status=none']);
      return crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex');
    }));
    expect(copies).toEqual([digest, digest, digest]);
  });

  it('cp -r of a tree in and out, compared with diff -r', async () => {
    const tree = path.join(local, 'tree');
    for (let d = 0; d < 4; d++) {
      const dir = path.join(tree, `d${d}`, `sub${d}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 12; f++) fs.writeFileSync(path.join(dir, `file ${f}.dat`), crypto.randomBytes(f * 7919));
      fs.writeFileSync(path.join(tree, `d${d}`, 'empty'), '');
    }
    fs.writeFileSync(path.join(tree, 'caf\u00e9-\u00fcml\u00e4ut.txt'), 'unicode name\n');
    await run('cp', ['-r', tree, path.join(mnt, 'tree')]);
    expect(await run('diff', ['-r', tree, path.join(mnt, 'tree')])).toBe('');
    await run('cp', ['-r', path.join(mnt, 'tree'), path.join(local, 'tree-back')]);
    expect(await run('diff', ['-r', tree, path.join(local, 'tree-back')])).toBe('');
    expect((await run('find', [path.join(mnt, 'tree'), '-type', 'f'])).split('\n').filter(Boolean)).toHaveLength(4 * 13 + 1);
    await run('rm', ['-r', path.join(mnt, 'tree')]);
    expect(await run('ls', ['-A', mnt])).toBe('random.bin\n');
  });

  it('df and stat -f show the statfs numbers', async () => {
    const df = (await run('df', ['-P', mnt])).split('\n')[1]!.split(/\s+/);
    expect(df[0]).toBe('memfs');
    expect(df[1]).toBe(String(1024 * 1024));
    expect(df[5]).toBe(mnt);
    expect(await run('stat', ['-f', '-c', '%S %b %l', mnt])).toBe('4096 262144 255\n');
  });

  it('a strict unmount of a busy mount fails with EBUSY and the mount keeps serving', async () => {
    const busy = spawn('sleep', ['60'], { cwd: mnt, stdio: 'ignore' });
    try {
      server.send('unmount-strict');
      expect(await server.event('unmount-failed')).toMatchObject({ code: 'EBUSY' });
      expect(isMounted(mnt)).toBe(true);
      expect(await run('ls', [mnt])).toBe('random.bin\n');
    } finally {
      busy.kill('SIGKILL');
      await new Promise((resolve) => busy.once('close', resolve));
    }
  });

  it('fusermount3 -u from outside ends the server cleanly', async () => {
    await unmountFuse(mnt);
    expect(await server.event('unmounted')).toMatchObject({ event: 'unmounted' });
    await expectCleanEnd(server);
  });
});

describe.skipIf(!enabled)('FUSE: ways a mount ends', () => {
  it('SIGTERM unmounts and the server exits', async () => {
    const server = await startServer();
    fs.writeFileSync(path.join(scratch.path, 'small'), 'x');
    await run('cp', [path.join(scratch.path, 'small'), path.join(server.mountpoint, 'a')]);
    await run('mkdir', [path.join(server.mountpoint, 'b')]);
    expect((await run('ls', ['-la', server.mountpoint])).split('\n').filter((l) => / (a|b|\.|\.\.)$/.test(l))).toHaveLength(4);
    server.child.kill('SIGTERM');
    await server.event('unmounted');
    await expectCleanEnd(server);
  });

  it('the server\'s own unmount() ends it', async () => {
    const server = await startServer();
    server.send('unmount');
    await server.event('unmount-done');
    await expectCleanEnd(server);
  });

  it('after SIGKILL of the server, fusermount3 (auto_unmount) removes the mount', async () => {
    const server = await startServer({ timeoutMs: 1000 });
    // The mount's time bound does not apply to the fusermount3 that stays for auto_unmount.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(processesNaming(server.mountpoint).some((p) => p.includes('fusermount3'))).toBe(true);
    server.child.kill('SIGKILL');
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(() => !isMounted(server.mountpoint), 10_000, 'the mount to go away');
    await waitFor(() => processesNaming(server.mountpoint).length === 0, 10_000, 'fusermount3 to exit');
  });

  it('a bad mountpoint, or a fusermount3 that fails, is reported and leaves nothing behind', async () => {
    const attempt = async (mountpoint: string, options: Record<string, unknown>): Promise<unknown> => {
      const child = spawn(process.execPath, [fixture('fuse-memfs.mjs'), mountpoint, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(code).toBe(1);
      return JSON.parse(out);
    };
    expect(await attempt(path.join(scratch.path, 'no-such-dir'), {})).toMatchObject({ event: 'error', code: 'ENOENT' });
    const dir = fs.mkdtempSync(path.join(scratch.path, 'mnt-'));
    expect(await attempt(dir, { fusermount: '/bin/false' })).toMatchObject({ event: 'error', code: 'ERR_FUSE_MOUNT' });
    expect(await attempt(dir, { fsName: 'a,b' })).toMatchObject({ event: 'error', code: 'ERR_INVALID_ARG_VALUE' });
    expect(isMounted(dir)).toBe(false);
  });
});
