// Channel within one process: boundaries, fd limits, errors, ownership,
// backpressure and close semantics, on stream and seqpacket sockets.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, ChannelClosedError, FdHandle, ProtocolError } from '../../src/index.js';
import { native } from '../../src/native.js';
import { openFdCount } from '../helpers/process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-channel-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function openFds(count: number): number[] {
  return Array.from({ length: count }, () => fs.openSync('/dev/null', 'r'));
}

describe.each(['stream', 'seqpacket'] as const)('Channel over %s', (type) => {
  it('keeps message boundaries, in order', async () => {
    const [a, b] = Channel.pair(type);
    const sent = ['one', '', 'three', 'x'.repeat(1000)];
    await Promise.all(sent.map((text) => a.send(text)));
    const got: string[] = [];
    for (let i = 0; i < sent.length; i++) got.push((await b.receive()).data.toString());
    expect(got).toEqual(sent);
    a.close();
    b.close();
  });

  it('carries 253 fds in one message, and an empty message with fds', async () => {
    const [a, b] = Channel.pair(type);
    const before = openFdCount();
    const fds = openFds(253);
    await a.send('many', fds, { closeAfterSend: true });
    const many = await b.receive();
    expect(many.fds).toHaveLength(253);
    expect(new Set(many.fds.map((fd) => fd.fd)).size).toBe(253);
    for (const fd of many.fds) expect(fd.kind()).toBe('character-device');
    await a.send(Buffer.alloc(0), openFds(2), { closeAfterSend: true });
    const empty = await b.receive();
    expect(empty.data.length).toBe(0);
    expect(empty.fds).toHaveLength(2);
    for (const fd of [...many.fds, ...empty.fds]) fd.close();
    expect(openFdCount()).toBe(before);
    a.close();
    b.close();
  });

  it('refuses 254 fds before anything is sent', async () => {
    const [a, b] = Channel.pair(type);
    await expect(a.send('x', new Array(254).fill(0))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await a.send('still works');
    expect((await b.receive()).data.toString()).toBe('still works');
    a.close();
    b.close();
  });

  it('a bad fd gives EBADF and the channel goes on', async () => {
    const [a, b] = Channel.pair(type);
    await expect(a.send('x', [987_654])).rejects.toMatchObject({ code: 'EBADF', syscall: 'sendmsg' });
    await a.send('after');
    expect((await b.receive()).data.toString()).toBe('after');
    a.close();
    b.close();
  });

  it('a message that waits holds copies of its fds: the sender may close them at once, and a number reused meanwhile never goes', async () => {
    const [a, b] = Channel.pair(type);
    const before = openFdCount();
    const meant = path.join(tmp, `meant-${type}`);
    const other = path.join(tmp, `other-${type}`);
    fs.writeFileSync(meant, 'the file that was sent');
    fs.writeFileSync(other, 'a file opened after the send');
    const chunk = Buffer.alloc(64 * 1024, 1);
    const fills = Array.from({ length: 64 }, () => a.send(chunk));
    const fd = fs.openSync(meant, 'r');
    const sent = a.send('with an fd', [fd]);
    fs.closeSync(fd);
    // Most likely the same number, now another file.
    const reused = fs.openSync(other, 'r');
    for (let i = 0; i < 64; i++) await b.receive();
    const message = await b.receive();
    await Promise.all([...fills, sent]);
    expect(message.data.toString()).toBe('with an fd');
    const [received] = message.fds;
    expect(fs.readFileSync(received!.fd, 'utf8')).toBe('the file that was sent');
    received!.close();
    fs.closeSync(reused);
    a.close();
    b.close();
    expect(openFdCount()).toBe(before - 2);
  });
});

describe('Channel', () => {
  it('carries a large message without fds', async () => {
    const [a, b] = Channel.pair();
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    const sending = a.send(big);
    const got = await b.receive();
    await sending;
    expect(got.data.equals(big)).toBe(true);
    a.close();
    b.close();
  });

  it('refuses a message over the seqpacket limit instead of truncating it', async () => {
    const [a, b] = Channel.pair('seqpacket');
    await expect(a.send(Buffer.alloc(200 * 1024))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    a.close();
    b.close();
  });

  it('the receiver owns what it receives; the sender keeps its copy unless asked', async () => {
    const [a, b] = Channel.pair();
    const file = path.join(tmp, 'owned');
    fs.writeFileSync(file, 'abcdef');
    const fd = fs.openSync(file, 'r');
    await a.send('', [fd]);
    expect(() => fs.fstatSync(fd)).not.toThrow();
    const kept = new FdHandle(fd);
    await a.send('', [kept], { closeAfterSend: true });
    expect(kept.closed).toBe(true);
    const first = await b.receive();
    const second = await b.receive();
    // Both received fds are the same open file: they share one offset.
    const buf = Buffer.alloc(3);
    await first.fds[0]!.read(buf);
    expect(buf.toString()).toBe('abc');
    await second.fds[0]!.read(buf);
    expect(buf.toString()).toBe('def');
    first.fds[0]!.close();
    second.fds[0]!.close();
    a.close();
    b.close();
  });

  it('sends a FileHandle; the received fd becomes read and write streams', async () => {
    const [a, b] = Channel.pair();
    const source = path.join(tmp, 'source');
    const target = path.join(tmp, 'target');
    fs.writeFileSync(source, 'streamed through a passed fd');
    const readHandle = await fs.promises.open(source, 'r');
    const writeHandle = await fs.promises.open(target, 'w');
    await a.send('', [readHandle, writeHandle], { closeAfterSend: true });
    const { fds } = await b.receive();
    const input = fds[0]!.createReadStream();
    const output = fds[1]!.createWriteStream();
    expect(fds.every((fd) => fd.closed)).toBe(true);
    await new Promise<void>((resolve, reject) => input.pipe(output).on('finish', () => resolve()).on('error', reject));
    expect(fs.readFileSync(target, 'utf8')).toBe('streamed through a passed fd');
    a.close();
    b.close();
  });

  it('sends resolve only once the kernel took them (backpressure), and all arrive', async () => {
    const [a, b] = Channel.pair();
    const chunk = Buffer.alloc(64 * 1024, 1);
    let resolved = 0;
    const sends = Array.from({ length: 64 }, () => a.send(chunk).then(() => resolved++));
    await new Promise((r) => setImmediate(r));
    // 4 MiB cannot fit in a socket buffer: some sends must still wait.
    expect(resolved).toBeLessThan(64);
    let bytes = 0;
    for (let i = 0; i < 64; i++) bytes += (await b.receive()).data.length;
    await Promise.all(sends);
    expect(bytes).toBe(64 * chunk.length);
    a.close();
    b.close();
  });

  it("delivers to 'message' listeners and to async iteration", async () => {
    const [a, b] = Channel.pair();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      b.on('message', (m) => {
        seen.push(m.data.toString());
        if (seen.length === 3) resolve();
      });
    });
    await a.send('1');
    await a.send('2');
    await a.send('3');
    await done;
    expect(seen).toEqual(['1', '2', '3']);
    b.removeAllListeners('message');
    await a.send('4');
    await a.send('5');
    a.close();
    const rest: string[] = [];
    for await (const m of b) rest.push(m.data.toString());
    expect(rest).toEqual(['4', '5']);
  });

  it('after the peer closes, queued messages still arrive, then receive rejects', async () => {
    const [a, b] = Channel.pair();
    await a.send('last words', openFds(1), { closeAfterSend: true });
    a.close();
    const closed = new Promise<boolean>((resolve) => b.once('close', resolve));
    expect(await closed).toBe(false);
    const last = await b.receive();
    expect(last.data.toString()).toBe('last words');
    last.fds[0]!.close();
    await expect(b.receive()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('sending on a closed channel rejects with a clear error', async () => {
    const [a, b] = Channel.pair();
    a.close();
    await expect(a.send('x')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    await new Promise((r) => b.once('close', r));
    await expect(b.send('x')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
  });

  it('sending to a peer that is gone rejects with EPIPE and closes the channel', async () => {
    const [a, b] = Channel.pair();
    b.close();
    await expect(a.send('x')).rejects.toMatchObject({ code: 'EPIPE', syscall: 'sendmsg' });
    expect(a.closed).toBe(true);
  });

  it('close() rejects waiting receives and drops queued fds', async () => {
    const [a, b] = Channel.pair();
    const before = openFdCount();
    const fds = openFds(3);
    const waiting = a.receive();
    await a.send('queued', fds, { closeAfterSend: true });
    await new Promise((r) => setTimeout(r, 20));
    b.close();
    expect(b.closed).toBe(true);
    a.close();
    // Only the two channel sockets remain to go: the queued fds were closed too.
    expect(openFdCount()).toBe(before - 2);
    await expect(waiting).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('a malformed frame is a ProtocolError that closes only that channel', async () => {
    const [raw, b] = Channel.pair();
    const [c, d] = Channel.pair();
    const errors: Error[] = [];
    b.on('error', (err) => errors.push(err));
    const closed = new Promise((r) => b.once('close', r));
    // A header announcing 300 fds, written past the Channel's own framing.
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0, 0);
    header.writeUInt32LE(300, 4);
    native.sendmsg(raw.fd, [header], null);
    await closed;
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    await expect(b.receive()).rejects.toMatchObject({ cause: expect.any(ProtocolError) });
    await c.send('unaffected');
    expect((await d.receive()).data.toString()).toBe('unaffected');
    for (const ch of [raw, c, d]) ch.close();
  });

  it('fromFd refuses a datagram socket and closes it', () => {
    const [x, y] = native.socketpair(native.SOCK_DGRAM);
    expect(() => Channel.fromFd(x)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => fs.fstatSync(x)).toThrow();
    native.close(y);
  });

  it('fromFd refuses bad size options and closes the socket it took', () => {
    for (const options of [{ maxMessageBytes: -1 }, { highWaterMark: 0 }]) {
      const [x, y] = native.socketpair(native.SOCK_STREAM);
      expect(() => Channel.fromFd(x, options)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => fs.fstatSync(x)).toThrow(expect.objectContaining({ code: 'EBADF' }));
      native.close(y);
    }
  });

  it('peerCredentials reports this process for a socketpair', () => {
    const [a, b] = Channel.pair();
    expect(a.peerCredentials()).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    a.close();
    b.close();
  });
});
