// HandoffMaster with real worker processes: policies, limits, worker death,
// reload and shutdown; what a worker inherits (environment, stdio, dumpable,
// no_new_privs); a stopped worker.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { readUntilClose } from '../helpers/connect.js';
import { HandoffMaster, type HandoffOptions } from '../../src/index.js';
import { fixture, isRoot, waitFor } from '../helpers/process.js';
import { readStatus } from '../helpers/proc-status.js';

const run = promisify(execFile);

const masters: HandoffMaster[] = [];
afterEach(async () => {
  await Promise.all(masters.splice(0).map((m) => m.shutdown()));
});

async function startMaster(options: Partial<HandoffOptions> & { hold?: boolean } = {}): Promise<{ master: HandoffMaster; port: number }> {
  const { hold, ...rest } = options;
  const master = new HandoffMaster({
    listen: [{ host: '127.0.0.1', port: 0, name: 'plain' }],
    worker: { args: [fixture('handoff-worker.mjs'), ...(hold ? ['hold'] : [])] },
    drainTimeoutMs: 5_000,
    ...rest,
  });
  masters.push(master);
  await master.ready();
  return { master, port: master.acceptor.sockets[0]!.port };
}


/** Connects and keeps the connection; `line` resolves with the first line received. */
function hold(port: number): { socket: net.Socket; line: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  const line = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(text);
    });
    socket.on('end', () => resolve(text));
  });
  socket.on('error', () => {});
  return { socket, line };
}

const pidOf = (line: string) => Number(/pid=(\d+)/.exec(line)?.[1]);

describe('HandoffMaster', () => {
  it('round-robin spreads connections evenly and reports listener and peer', async () => {
    const { master, port } = await startMaster();
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) lines.push(await readUntilClose(port));
    const pids = master.workers().map((w) => w.pid).sort();
    const counts = pids.map((pid) => lines.filter((l) => pidOf(l) === pid).length);
    expect(counts).toEqual([5, 5]);
    expect(lines[0]).toMatch(/listener=plain peer=127\.0\.0\.1:\d+/);
  });

  it('least-connections sends new connections to the least loaded worker', async () => {
    const { master, port } = await startMaster({ policy: 'least-connections', hold: true });
    const held = Array.from({ length: 4 }, () => hold(port));
    const lines = await Promise.all(held.map((h) => h.line));
    expect(new Set(lines.map(pidOf)).size).toBe(2);
    await waitFor(() => master.workers().every((w) => w.connections === 2), 5_000, 'two connections per worker');
    // Free two on one worker: the next two go there.
    const busy = pidOf(lines[0]!);
    const onBusy = held.filter((_h, i) => pidOf(lines[i]!) === busy);
    for (const h of onBusy) h.socket.destroy();
    await waitFor(() => master.workers().some((w) => w.connections === 0), 5_000, 'a worker to become idle');
    const next = [hold(port), hold(port)];
    const nextLines = await Promise.all(next.map((h) => h.line));
    expect(nextLines.map(pidOf)).toEqual([busy, busy]);
    for (const h of [...held, ...next]) h.socket.destroy();
  });

  it('holds connections in a bounded queue when all workers are busy, and refuses past it', async () => {
    const { master, port } = await startMaster({ hold: true, maxConnectionsPerWorker: 1, maxQueue: 1, refusal: 'busy\n' });
    const refusedEvents: number[] = [];
    master.on('refused', (n) => refusedEvents.push(n));
    const first = [hold(port), hold(port)];
    await Promise.all(first.map((h) => h.line));
    const queued = hold(port);
    await waitFor(() => master.queued === 1, 5_000, 'a queued connection');
    const refused = hold(port);
    expect(await refused.line).toBe('busy\n');
    expect(refusedEvents).toEqual([1]);
    first[0]!.socket.destroy();
    expect(await queued.line).toMatch(/^pid=/);
    for (const h of [...first, queued, refused]) h.socket.destroy();
  });

  it('replaces a worker killed with SIGKILL and serves every later connection', async () => {
    const { master, port } = await startMaster();
    const [victim, survivor] = master.workers().map((w) => w.pid);
    const exited = new Promise<string | null>((resolve) => master.once('worker-exit', (_pid, _code, signal) => resolve(signal)));
    process.kill(victim!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await master.ready();
    const pids = master.workers().map((w) => w.pid);
    expect(pids).toContain(survivor);
    expect(pids).not.toContain(victim);
    const lines = await Promise.all(Array.from({ length: 20 }, () => readUntilClose(port)));
    expect(lines.every((l) => l.startsWith('pid='))).toBe(true);
  });

  it('reload replaces the workers, keeps the listener, and lets old connections finish', async () => {
    const { master, port } = await startMaster({ hold: true });
    const before = master.workers().map((w) => w.pid);
    const old = hold(port);
    const oldPid = pidOf(await old.line);
    await master.reload();
    const fresh = hold(port);
    const freshPid = pidOf(await fresh.line);
    expect(before).toContain(oldPid);
    expect(before).not.toContain(freshPid);
    // The old worker still serves its connection while it drains.
    expect(master.workers().find((w) => w.pid === oldPid)?.draining).toBe(true);
    old.socket.end();
    await waitFor(() => !master.workers().some((w) => w.pid === oldPid), 10_000, 'the old worker to exit');
    expect(master.workers().map((w) => w.pid)).not.toContain(before[0]);
    fresh.socket.destroy();
  });

  it('upgrade hands the listener to a new generation; connections this one queued still reach its workers', async () => {
    const { master, port } = await startMaster({ hold: true, workers: 1, maxConnectionsPerWorker: 1 });
    const first = hold(port);
    const oldWorker = pidOf(await first.line);
    const queued = hold(port);
    await waitFor(() => master.queued === 1, 5_000, 'a queued connection');
    const next = await master.upgrade({ args: [fixture('handover-generation.mjs'), 'ok'] });
    try {
      expect(await readUntilClose(port)).toBe(`new ${next} plain\n`);
      first.socket.destroy();
      expect(pidOf(await queued.line)).toBe(oldWorker);
      queued.socket.destroy();
      await master.shutdown();
      masters.splice(masters.indexOf(master), 1);
      expect(master.workers()).toEqual([]);
      await expect(master.upgrade()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_HANDOVER_BUSY' });
    } finally {
      process.kill(next, 'SIGKILL');
    }
  });

  it('shutdown closes the listener and waits for the workers', async () => {
    const { master, port } = await startMaster();
    await master.shutdown();
    masters.splice(masters.indexOf(master), 1);
    expect(master.workers()).toEqual([]);
    await expect(readUntilClose(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it.skipIf(!isRoot)('runs workers with the credentials it is given', async () => {
    const { port } = await startMaster({ worker: { args: [fixture('handoff-worker.mjs')], uid: 65534, gid: 65534 } });
    expect(await readUntilClose(port)).toMatch(/uid=65534 /);
  });
});

/** The variables in a process's environment, sorted. */
function environ(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((v) => v !== '').sort();
}

/** What `cat /proc/<pid>/environ` run as `uid` prints, or its error. */
async function readEnvironAs(pid: number, uid: number): Promise<string> {
  try {
    return (await run('cat', [`/proc/${pid}/environ`], { uid, gid: uid, timeout: 10_000 })).stdout;
  } catch (err) {
    return `error: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`;
  }
}

describe('HandoffMaster: what a worker inherits', () => {
  it.skipIf(!isRoot)('gives workers only the environment named, PATH alone by default', async () => {
    process.env.HANDOFF_TEST_MASTER_ONLY = 'not for workers';
    try {
      const { master: plain } = await startMaster();
      for (const { pid } of plain.workers()) expect(environ(pid)).toEqual(['PATH=/usr/bin:/bin']);
      const { master: named } = await startMaster({ worker: { args: [fixture('handoff-worker.mjs')], env: { PATH: '/bin', LANG: 'C.UTF-8' } } });
      for (const { pid } of named.workers()) expect(environ(pid)).toEqual(['LANG=C.UTF-8', 'PATH=/bin']);
    } finally {
      delete process.env.HANDOFF_TEST_MASTER_ONLY;
    }
  });

  it('gives workers their own session, /dev/null as stdin, and passes what they write on stdout and stderr to the master', async () => {
    const output: string[] = [];
    const master = new HandoffMaster({
      listen: [{ host: '127.0.0.1', port: 0, name: 'plain' }],
      worker: { args: [fixture('handoff-worker.mjs'), 'greet'] },
      workers: 1,
    });
    masters.push(master);
    master.on('worker-output', (pid, line) => output.push(`${pid}: ${line}`));
    await master.ready();
    const pid = master.workers()[0]!.pid;
    await waitFor(() => output.length === 5, 10_000, 'five lines of worker output');
    // The line of 10,000 characters comes in pieces of at most 4096.
    const long = (n: number) => `${pid}: ${'x'.repeat(n)}`;
    expect(output.sort()).toEqual([`${pid}: stderr of ${pid}`, `${pid}: stdout of ${pid}`, long(10_000 - 2 * 4096), long(4096), long(4096)].sort());
    // A session of its own, without a controlling terminal.
    const [session, tty] = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(3, 5).map(Number);
    expect({ session, tty }).toEqual({ session: pid, tty: 0 });
    if (isRoot) {
      expect(fs.readlinkSync(`/proc/${pid}/fd/0`)).toBe('/dev/null');
      const out = fs.readlinkSync(`/proc/${pid}/fd/1`);
      expect(out).toMatch(/^socket:/);
      expect(fs.readlinkSync(`/proc/${pid}/fd/2`)).toBe(out);
      expect([0, 1, 2].map((fd) => fs.readlinkSync(`/proc/self/fd/${fd}`))).not.toContain(out);
    }
  });

  it.skipIf(!isRoot)('runs workers with no_new_privs and not dumpable: a process of their uid cannot read their /proc files', async () => {
    const { master, port } = await startMaster({ worker: { args: [fixture('handoff-worker.mjs')], uid: 65534, gid: 65534 } });
    expect(await readUntilClose(port)).toMatch(/uid=65534 .* dumpable=0\n$/);
    // The same reader does see the environment of an ordinary process of that uid.
    const dumpable = spawn('sleep', ['30'], { uid: 65534, gid: 65534, env: { MARK: 'readable' }, stdio: 'ignore' });
    try {
      await waitFor(() => fs.existsSync(`/proc/${dumpable.pid}/environ`) && environ(dumpable.pid!).includes('MARK=readable'), 5_000, 'sleep to start');
      expect(await readEnvironAs(dumpable.pid!, 65534)).toContain('MARK=readable');
    } finally {
      dumpable.kill('SIGKILL');
    }
    for (const { pid } of master.workers()) {
      expect(readStatus(pid).NoNewPrivs).toBe('1');
      expect(await readEnvironAs(pid, 65534)).toMatch(/^error: .*Permission denied/);
      // The kernel hands the /proc files of a process that is not dumpable to root.
      expect(fs.statSync(`/proc/${pid}/environ`).uid).toBe(0);
    }
  });
});

describe('HandoffMaster: a worker that stops answering', () => {
  it('hands its unconfirmed connections to the others, serves every connection, and replaces it', async () => {
    const { master, port } = await startMaster({ workers: 3, ackTimeoutMs: 1_000 });
    const victim = master.workers()[0]!.pid;
    const unresponsive = new Promise<number>((resolve) => master.once('worker-unresponsive', resolve));
    const exited = new Promise<string | null>((resolve) => master.on('worker-exit', (pid, _code, signal) => {
      if (pid === victim) resolve(signal);
    }));
    process.kill(victim, 'SIGSTOP');
    const lines = await Promise.all(Array.from({ length: 30 }, () => readUntilClose(port)));
    expect(lines.filter((l) => !l.startsWith('pid='))).toEqual([]);
    expect(lines.map(pidOf)).not.toContain(victim);
    expect(await unresponsive).toBe(victim);
    expect(await exited).toBe('SIGKILL');
    await master.ready();
    const pids = master.workers().map((w) => w.pid);
    expect(pids).toHaveLength(3);
    expect(pids).not.toContain(victim);
    const after = await Promise.all(Array.from({ length: 9 }, () => readUntilClose(port)));
    expect(new Set(after.map(pidOf))).toEqual(new Set(pids));
  });

  it('kills and replaces a worker that does not become ready in time', async () => {
    const master = new HandoffMaster({
      listen: [{ host: '127.0.0.1', port: 0, name: 'plain' }],
      worker: { args: [fixture('handoff-worker.mjs'), 'mute'] },
      workers: 1,
      startTimeoutMs: 300,
      drainTimeoutMs: 1_000,
    });
    masters.push(master);
    const unresponsive: number[] = [];
    const exits: (string | null)[] = [];
    master.on('worker-unresponsive', (pid) => unresponsive.push(pid));
    master.on('worker-exit', (_pid, _code, signal) => exits.push(signal));
    const first = master.workers()[0]!.pid;
    await waitFor(() => unresponsive.length >= 2, 15_000, 'two workers to miss their start deadline');
    expect(unresponsive[0]).toBe(first);
    await waitFor(() => exits.length >= 2, 5_000, 'both to exit');
    expect(exits.slice(0, 2)).toEqual(['SIGKILL', 'SIGKILL']);
    expect(master.workers().map((w) => w.pid)).not.toContain(first);
    expect(master.workers().every((w) => !w.ready)).toBe(true);
  });
});
