// Listener hand-over between generations: real listeners, real processes
// started as a new generation, real clients; every failure leaves the old
// generation accepting.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Acceptor, Channel, ListenerHandover, connectListenerHandover, connectUnix, receiveListeners } from '../../src/index.js';
import { fixture, isAlive, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';

const generation = fixture('handover-generation.mjs');
const started = new Set<number>();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'handover-test-'));
fs.chmodSync(scratch, 0o755);

afterAll(() => {
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** One line from the server at `port`, or the error that ended the connection. */
function lineFrom(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text.trim()));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
  });
}

interface OldGeneration {
  acceptor: Acceptor;
  handover: ListenerHandover;
  port: number;
  failures: Error[];
}

const olds: OldGeneration[] = [];
afterEach(() => {
  for (const old of olds.splice(0)) {
    old.acceptor.close();
    old.handover.close();
  }
});

// This process as the running generation: answers "old" on two listeners.
function oldGeneration(readyTimeoutMs = 20_000): OldGeneration {
  const acceptor = new Acceptor([{ host: '127.0.0.1', port: 0, name: 'first' }, { host: '127.0.0.1', port: 0, name: 'second' }]);
  acceptor.on('connections', (batch) => {
    for (const c of batch) {
      fs.writeSync(c.fd, 'old\n');
      fs.closeSync(c.fd);
    }
  });
  const handover = new ListenerHandover({ listeners: () => acceptor.sockets, release: () => acceptor.close(), readyTimeoutMs });
  const failures: Error[] = [];
  handover.on('failed', (err) => failures.push(err));
  const old = { acceptor, handover, port: acceptor.sockets[0]!.port, failures };
  olds.push(old);
  return old;
}

async function spawnGeneration(old: OldGeneration, mode: string): Promise<number> {
  const pid = await old.handover.spawn({ args: [generation, mode] });
  started.add(pid);
  return pid;
}

describe('ListenerHandover', () => {
  it('hands every listener to a new generation, which takes the connections waiting in the accept queue', async () => {
    const old = oldGeneration();
    old.acceptor.pause();
    // Connected (the kernel completed the handshake) but not accepted yet.
    const waiting = Array.from({ length: 20 }, () => lineFrom(old.port));
    await new Promise((r) => setTimeout(r, 200));
    const pid = await spawnGeneration(old, 'ok');
    expect(old.handover.state).toBe('released');
    const replies = await Promise.all(waiting);
    expect(new Set(replies)).toEqual(new Set([`new ${pid} first`]));
    expect(await lineFrom(old.acceptor.sockets[1]!.port)).toBe(`new ${pid} second`);
    await expect(old.handover.spawn({ args: [generation, 'ok'] })).rejects.toMatchObject({
      code: 'ERR_PRIVSEP_HANDOVER_BUSY', message: 'this generation has handed its listeners over already',
    });
    process.kill(pid, 'SIGTERM');
  });

  it.each([
    ['exits before taking the listeners', 'exit', /pid \d+\) did not take the listeners: exited with code 3 before it was ready/],
    ['dies after taking them, before saying READY', 'die', /exited with code 4 before it was ready/],
    ['refuses them', 'refuse', /refused them: its configuration is bad/],
  ])('a new generation that %s leaves the old one accepting', async (_, mode, message) => {
    const old = oldGeneration();
    await expect(spawnGeneration(old, mode)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_HANDOVER_FAILED', message: expect.stringMatching(message) });
    expect(old.handover.state).toBe('idle');
    expect(old.failures).toHaveLength(1);
    expect(await lineFrom(old.port)).toBe('old');
    // And a later hand-over works.
    const pid = await spawnGeneration(old, 'ok');
    expect(await lineFrom(old.port)).toBe(`new ${pid} first`);
    process.kill(pid, 'SIGTERM');
  });

  it('refuses a second hand-over while one runs, and kills a new generation that misses its deadline', async () => {
    const old = oldGeneration(2000);
    const hanging = spawnGeneration(old, 'hang');
    await expect(old.handover.spawn({ args: [generation, 'ok'] })).rejects.toMatchObject({
      code: 'ERR_PRIVSEP_HANDOVER_BUSY', message: 'a listener hand-over is under way already',
    });
    expect(await lineFrom(old.port)).toBe('old');
    await expect(hanging).rejects.toMatchObject({ code: 'ERR_PRIVSEP_HANDOVER_FAILED', message: expect.stringMatching(/did not say it was ready within 2000 ms/) });
    expect(await lineFrom(old.port)).toBe('old');
    expect(old.handover.state).toBe('idle');
  });

  it('fails clearly when the program cannot be started', async () => {
    const old = oldGeneration();
    await expect(old.handover.spawn({ file: '/nonexistent/program' })).rejects.toMatchObject({
      code: 'ERR_PRIVSEP_HANDOVER_FAILED', message: expect.stringMatching(/ENOENT/),
    });
    expect(await lineFrom(old.port)).toBe('old');
  });
});

describe('the hand-over socket', () => {
  it('hands the listeners to a process that connects, and closes the socket once released', async () => {
    const old = oldGeneration();
    const socketPath = path.join(scratch, 'upgrade.sock');
    await old.handover.listen(socketPath);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
    const received = await connectListenerHandover(socketPath);
    expect(received.from).toBe(process.pid);
    expect(received.listeners.map((l) => l.name)).toEqual(['first', 'second']);
    const acceptor = new Acceptor(received.listeners);
    acceptor.on('connections', (batch) => {
      for (const c of batch) {
        fs.writeSync(c.fd, 'taken\n');
        fs.closeSync(c.fd);
      }
    });
    try {
      await received.ready();
      expect(old.handover.state).toBe('released');
      expect(fs.existsSync(socketPath)).toBe(false);
      expect(await lineFrom(old.port)).toBe('taken');
    } finally {
      acceptor.close();
    }
  });

  it('rejects a peer that sends a bad frame, and keeps accepting', async () => {
    const old = oldGeneration();
    const socketPath = path.join(scratch, 'bad.sock');
    await old.handover.listen(socketPath);
    const peer = await connectUnix(socketPath);
    const offer = await peer.receive();
    for (const fd of offer.fds) fd.close();
    await peer.send(Buffer.from([0x99, 1, 2]));
    await waitFor(() => old.failures.length > 0, 5000, 'the hand-over to fail');
    expect(old.failures[0]).toMatchObject({ code: 'ERR_PRIVSEP_HANDOVER_FAILED' });
    expect((old.failures[0]!.cause as Error)).toMatchObject({
      code: 'ERR_PRIVSEP_PROTOCOL', message: 'listener hand-over: expected READY or FAILED, got unknown (type 0x99)',
    });
    expect(await lineFrom(old.port)).toBe('old');
    peer.close();
  });

  it.runIf(requireRoot('the hand-over socket peer check'))('turns away a peer that is neither root nor the same user', async () => {
    const old = oldGeneration();
    const socketPath = path.join(scratch, 'peer.sock');
    await old.handover.listen(socketPath);
    fs.chmodSync(socketPath, 0o666);
    const library = path.resolve(import.meta.dirname, '..', '..', 'dist', 'src', 'index.js');
    const script = `const p = await import(${JSON.stringify(library)}); await p.connectListenerHandover(${JSON.stringify(socketPath)}).then(() => console.log('taken'), (e) => console.log(e.code, e.message));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, timeout: 20_000 });
    expect(stdout.trim()).toBe(`ERR_PRIVSEP_HANDOVER_FAILED pid ${process.pid} refused: uid 65534 may not take the listeners`);
    expect(old.failures[0]!.message).toMatch(/\(uid 65534\) asked for the listeners; only root or uid 0 may/);
    expect(old.handover.state).toBe('idle');
    expect(await lineFrom(old.port)).toBe('old');
  });
});

// How many fds of this process refer to the same socket as `fd`.
function fdsOf(fd: number): number {
  const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
  return fs.readdirSync('/proc/self/fd').filter((n) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${n}`) === target;
    } catch {
      return false;
    }
  }).length;
}

describe('receiveListeners', () => {
  it.each([
    ['a message of another type', Buffer.from([0x22]), 0, 'listener hand-over: expected OFFER or FAILED, got READY (type 0x22)'],
    ['an OFFER that is not JSON', Buffer.concat([Buffer.from([0x21]), Buffer.from('{')]), 0, 'malformed OFFER message on the listener hand-over channel: not a JSON object'],
    ['an OFFER with more names than sockets', Buffer.concat([Buffer.from([0x21]), Buffer.from('{"listeners":["a","b"]}')]), 1, 'malformed OFFER message on the listener hand-over channel: 2 names for 1 sockets'],
  ])('rejects %s and closes what came with it', async (_, data, fdCount, message) => {
    const [a, b] = Channel.pair();
    const listener = new Acceptor([{ host: '127.0.0.1', port: 0 }]);
    try {
      await a.send(data, fdCount > 0 ? [listener.sockets[0]!.fd] : []);
      await expect(receiveListeners(b)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message });
      expect(b.closed).toBe(true);
      // The copy of the listener that came with the message is closed: only the sender's is left.
      expect(fdsOf(listener.sockets[0]!.fd)).toBe(1);
    } finally {
      listener.close();
      a.close();
    }
  });
});
