// fd passing between real processes: every kind of fd, used in the child;
// limits; leaks; a peer that dies or exits before its fds are read.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelClosedError } from '../../src/index.js';
import { startPeer, type Peer } from '../helpers/peer.js';
import { killAll, openFdCount } from '../helpers/process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-fdpass-'));
let peer: Peer;

beforeAll(() => {
  peer = startPeer();
});
afterAll(async () => {
  await peer.stop();
  killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('passing fds to a child process', () => {
  it('a regular file: same open file, different fd numbers, shared offset', async () => {
    const file = path.join(tmp, 'shared-offset');
    fs.writeFileSync(file, 'hello, world');
    const fd = fs.openSync(file, 'r');
    const answer = await peer.ask<{ fd: number; text: string }>({ op: 'read', length: 7 }, [fd]);
    expect(answer.text).toBe('hello, ');
    expect(answer.pid).not.toBe(process.pid);
    // The child read through its own fd number; our offset moved with it.
    expect(answer.fd).not.toBe(fd);
    const rest = Buffer.alloc(5);
    expect(fs.readSync(fd, rest, 0, 5, null)).toBe(5);
    expect(rest.toString()).toBe('world');
    fs.closeSync(fd);
  });

  it('a pipe: the child writes, we read', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'fifo-'));
    const fifo = path.join(dir, 'p');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
    const described = await peer.ask<{ fds: Array<{ kind: string }> }>({ op: 'describe' }, [writeFd]);
    expect(described.fds[0]!.kind).toBe('fifo');
    await peer.ask({ op: 'write', text: 'through the pipe' }, [writeFd]);
    fs.closeSync(writeFd);
    const buf = Buffer.alloc(64);
    const n = fs.readSync(readFd, buf);
    expect(buf.subarray(0, n).toString()).toBe('through the pipe');
    fs.closeSync(readFd);
  });

  it('a connected TCP socket: the child answers on it', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const received = new Promise<string>((resolve) => {
      server.once('connection', (conn) => {
        let text = '';
        conn.on('data', (d) => (text += d));
        conn.on('end', () => resolve(text));
      });
    });
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    client.pause();
    await peer.ask({ op: 'socket-write', text: 'from the child' }, [client]);
    client.destroy();
    expect(await received).toBe('from the child');
    server.close();
  });

  it('a listening TCP socket: the child accepts and serves', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = await peer.ask<{ port: number }>({ op: 'serve' }, [server]);
    expect(port).toBe((server.address() as net.AddressInfo).port);
    server.close();
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1');
      let text = '';
      c.on('data', (d) => (text += d));
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
    expect(reply).toBe(`served by ${peer.proc.child.pid}`);
  });

  it('a unix socket and /dev/null', async () => {
    const [ours, theirs] = (await import('../../src/index.js')).socketPair();
    const devnull = fs.openSync('/dev/null', 'w');
    const described = await peer.ask<{ fds: Array<{ kind: string }> }>({ op: 'describe' }, [theirs, devnull]);
    expect(described.fds.map((d) => d.kind)).toEqual(['socket', 'character-device']);
    await peer.ask({ op: 'write', text: 'into /dev/null' }, [devnull]);
    await peer.ask({ op: 'socket-write', text: 'over unix' }, [theirs]);
    theirs.close();
    const socket = ours.toSocket();
    let text = '';
    socket.on('data', (d) => (text += d));
    await new Promise((r) => socket.on('end', r));
    expect(text).toBe('over unix');
    socket.destroy();
    fs.closeSync(devnull);
  });

  it('the child opens a file and passes it back', async () => {
    const file = path.join(tmp, 'back');
    fs.writeFileSync(file, 'sent back');
    await peer.channel.send(JSON.stringify({ op: 'send-back', path: file }));
    const message = await peer.channel.receive();
    const reply = JSON.parse((await peer.channel.receive()).data.toString());
    expect(message.data.toString()).toBe('here');
    expect(message.fds).toHaveLength(1);
    expect(fs.readFileSync(message.fds[0]!.fd, 'utf8')).toBe('sent back');
    expect(reply.ok).toBe(true);
    message.fds[0]!.close();
  });

  it('10,000 messages with fds leave no fd behind in the receiver', async () => {
    const before = openFdCount();
    const count = 10_000;
    await peer.channel.send(JSON.stringify({ op: 'send-many', count }));
    for (let i = 0; i < count; i++) {
      const message = await peer.channel.receive();
      expect(message.fds.length).toBe(1);
      message.fds[0]!.close();
    }
    const done = JSON.parse((await peer.channel.receive()).data.toString());
    expect(done.result).toEqual({ done: count });
    expect(openFdCount()).toBe(before);
  });

  it("the receiver's fd table is back where it started after receiving", async () => {
    const { count: before } = await peer.ask<{ count: number }>({ op: 'fd-count' });
    const fds = Array.from({ length: 100 }, () => fs.openSync('/dev/null', 'r'));
    await peer.ask({ op: 'describe' }, fds);
    for (const fd of fds) fs.closeSync(fd);
    const { count: after } = await peer.ask<{ count: number }>({ op: 'fd-count' });
    expect(after).toBe(before);
  });
});

describe('peers that go away', () => {
  it('a sender that exits before we read: the fd still arrives and works', async () => {
    const sender = startPeer();
    const file = path.join(tmp, 'in-flight');
    fs.writeFileSync(file, 'kept by the kernel');
    await sender.channel.send(JSON.stringify({ op: 'send-and-exit', path: file }));
    const status = await sender.proc.exited;
    expect(status.code).toBe(0);
    const message = await sender.channel.receive();
    expect(fs.readFileSync(message.fds[0]!.fd, 'utf8')).toBe('kept by the kernel');
    message.fds[0]!.close();
    await expect(sender.channel.receive()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('a peer killed mid-stream gives a close event, not a crash', async () => {
    const sender = startPeer();
    await sender.channel.send(JSON.stringify({ op: 'stream-forever' }));
    const first = await sender.channel.receive();
    expect(JSON.parse(first.data.toString())).toEqual({ streaming: true });
    for (let i = 0; i < 100; i++) (await sender.channel.receive()).fds.forEach((fd) => fd.close());
    const closed = new Promise<boolean>((resolve) => sender.channel.once('close', resolve));
    sender.proc.child.kill('SIGKILL');
    await sender.proc.exited;
    // Drain what was in flight; then the channel ends.
    for await (const message of sender.channel) message.fds.forEach((fd) => fd.close());
    await closed;
    expect(sender.channel.closed).toBe(true);
    await expect(sender.channel.send('anyone?')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
  });
});
