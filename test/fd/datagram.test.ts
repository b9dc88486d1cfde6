// Unix datagram sockets: socketPair('dgram'), bound (path and abstract) and
// unbound sockets, sendTo, fd passing to a real child, datagrams cut by the
// kernel (MSG_TRUNC, MSG_CTRUNC), a full receiver, and argument errors.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, DatagramSocket, connectUnixDatagram, createDatagramSocket, socketPair } from '../../src/index.js';
import { fixture, killAll, openFdCount, startNode } from '../helpers/process.js';
import { scratchDir } from '../helpers/scratch.js';

const scratch = scratchDir('privsep-dgram-');
const abstractName = (label: string): string => `\0privsep-test-${process.pid}-${label}`;

afterAll(() => {
  killAll();
  scratch.remove();
});

function dgramPair(options = {}): [DatagramSocket, DatagramSocket] {
  const [a, b] = socketPair('dgram');
  return [DatagramSocket.fromFd(a, options), DatagramSocket.fromFd(b, options)];
}

describe('socketPair("dgram")', () => {
  it('keeps datagram boundaries; an unnamed peer has no address', async () => {
    const [a, b] = dgramPair();
    await a.send('one');
    await a.send(Buffer.from('two'));
    await a.send(new Uint8Array([0x74, 0x68, 0x72, 0x65, 0x65]));
    await a.send('');
    const got = [await b.receive(), await b.receive(), await b.receive(), await b.receive()];
    expect(got.map((d) => d.data.toString())).toEqual(['one', 'two', 'three', '']);
    expect(got.every((d) => d.from === null && d.fds.length === 0 && d.credentials === null)).toBe(true);
    a.close();
    b.close();
  });

  it("passes an fd to a child process, which writes through it and answers", async () => {
    const file = path.join(scratch.path, 'through-dgram');
    fs.writeFileSync(file, '');
    const [mine, theirs] = socketPair('dgram');
    const child = startNode(fixture('dgram-peer.mjs'), ['use-fd'], [theirs.fd]);
    theirs.close();
    const socket = DatagramSocket.fromFd(mine);
    const fd = fs.openSync(file, 'w');
    await socket.send('written by the child', [fd], { closeAfterSend: true });
    const answer = JSON.parse((await socket.receive()).data.toString());
    expect((await child.exited).code).toBe(0);
    socket.close();
    expect(answer).toEqual({ pid: child.child.pid, fds: 1, from: null });
    expect(fs.readFileSync(file, 'utf8')).toBe('written by the child');
  });

  it('a datagram whose fds were cut (MSG_CTRUNC) is reported, its fds closed, and the socket reads on', async () => {
    const [mine, theirs] = socketPair('dgram');
    const child = startNode(fixture('dgram-peer.mjs'), ['ctrunc'], [theirs.fd]);
    theirs.close();
    const socket = DatagramSocket.fromFd(mine);
    expect((await socket.receive()).data.toString()).toBe('ready');
    const fds = Array.from({ length: 100 }, () => fs.openSync('/dev/null', 'r'));
    await socket.send('too many', fds, { closeAfterSend: true });
    await socket.send('after');
    const status = await child.exited;
    socket.close();
    expect(status.code, child.stderr()).toBe(0);
    const report = JSON.parse(child.stdout());
    expect(report).toMatchObject({ code: 'ERR_PRIVSEP_FDS_TRUNCATED', syscall: 'recvmsg', next: 'after' });
    // About 20 of the 100 fds fit before the limit: had any stayed open, the count would be above where it started.
    expect(report.after).toBeLessThanOrEqual(report.before);
  });
});

describe('bound and unbound datagram sockets', () => {
  it('sendTo a path: the receiver sees the sender by its address; the path goes on close', async () => {
    const serverPath = path.join(scratch.path, 'server.sock');
    const clientPath = path.join(scratch.path, 'client.sock');
    const server = createDatagramSocket({ bind: serverPath });
    const client = createDatagramSocket({ bind: clientPath });
    expect(server.address()).toBe(serverPath);
    await client.sendTo(serverPath, 'hello');
    const got = await server.receive();
    expect(got.data.toString()).toBe('hello');
    expect(got.from).toBe(clientPath);
    await server.sendTo(got.from!, 'hello back');
    expect((await client.receive()).data.toString()).toBe('hello back');
    server.close();
    client.close();
    expect(fs.existsSync(serverPath)).toBe(false);
    expect(fs.existsSync(clientPath)).toBe(false);
  });

  it('sendTo an abstract name from an unbound socket, with fds and "message" events', async () => {
    const name = abstractName('abstract');
    const server = createDatagramSocket({ bind: name });
    expect(server.address()).toBe(name);
    const client = createDatagramSocket();
    expect(client.address()).toBe(null);
    const got = new Promise<{ text: string; from: string | null; content: string }>((resolve) => {
      server.once('message', (d) => {
        const content = Buffer.alloc(64);
        const n = fs.readSync(d.fds[0]!.fd, content, 0, 64, 0);
        d.fds[0]!.close();
        resolve({ text: d.data.toString(), from: d.from, content: content.subarray(0, n).toString() });
      });
    });
    const file = path.join(scratch.path, 'passed');
    fs.writeFileSync(file, 'file content');
    const fd = fs.openSync(file, 'r');
    await client.sendTo(name, 'with an fd', [fd]);
    fs.closeSync(fd);
    expect(await got).toEqual({ text: 'with an fd', from: null, content: 'file content' });
    server.close();
    client.close();
  });

  it('connect() then send(); connectUnixDatagram writes datagrams to the same kind of receiver', async () => {
    const serverPath = path.join(scratch.path, 'connected.sock');
    const server = createDatagramSocket({ bind: serverPath });
    const client = createDatagramSocket({ connect: serverPath });
    await client.send('via connect');
    expect((await server.receive()).data.toString()).toBe('via connect');
    const bare = connectUnixDatagram(serverPath);
    fs.writeSync(bare.fd, 'via a bare fd');
    expect((await server.receive()).data.toString()).toBe('via a bare fd');
    bare.close();
    client.close();
    server.close();
  });

  it('a datagram longer than the receive buffer is an EMSGSIZE error with its size, its fds closed; the next one arrives', async () => {
    const name = abstractName('trunc');
    const server = createDatagramSocket({ bind: name, maxDatagramBytes: 100 });
    const client = createDatagramSocket();
    const before = openFdCount();
    const fds = Array.from({ length: 5 }, () => fs.openSync('/dev/null', 'r'));
    await client.sendTo(name, Buffer.alloc(1000, 1), fds, { closeAfterSend: true });
    await client.sendTo(name, Buffer.alloc(100, 2));
    await expect(server.receive()).rejects.toMatchObject({ code: 'EMSGSIZE', syscall: 'recvmsg', size: 1000, errno: -90 });
    const next = await server.receive();
    expect(next.data).toEqual(Buffer.alloc(100, 2));
    expect(openFdCount()).toBe(before);
    server.close();
    client.close();
  });

  it('sending to a full receiver waits, and every datagram arrives in order once it reads', async () => {
    const name = abstractName('full');
    // Held by highWaterMark, the receiver stops reading and its kernel queue fills up.
    const server = createDatagramSocket({ bind: name, highWaterMark: 1 });
    const client = createDatagramSocket();
    // The kernel queues at most net.unix.max_dgram_qlen datagrams for a receiver (10 to 512 on usual systems).
    const queueLength = Number(fs.readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8'));
    const count = Math.min(queueLength + 500, 20_000);
    let settled = 0;
    const sends = Array.from({ length: count }, (_, i) => client.sendTo(name, `#${i}`).then(() => settled++));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(settled).toBeLessThan(count);
    const received: string[] = [];
    for (let i = 0; i < count; i++) received.push((await server.receive()).data.toString());
    await Promise.all(sends);
    expect(received).toEqual(Array.from({ length: count }, (_, i) => `#${i}`));
    server.close();
    client.close();
  });

  it('one failed sendTo rejects with a Node-shaped error and leaves the socket working', async () => {
    const client = createDatagramSocket();
    await expect(client.sendTo(path.join(scratch.path, 'nobody-here'), 'x')).rejects.toMatchObject({ code: 'ENOENT', syscall: 'sendmsg', errno: -2 });
    await expect(client.sendTo(abstractName('nobody'), 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'sendmsg' });
    const name = abstractName('after-error');
    const server = createDatagramSocket({ bind: name });
    await client.sendTo(name, 'still works');
    expect((await server.receive()).data.toString()).toBe('still works');
    server.close();
    client.close();
  });

  it('close: pending receives reject, later sends reject, the "close" event comes once', async () => {
    const socket = createDatagramSocket();
    const pending = socket.receive();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    await expect(socket.sendTo(abstractName('x'), 'x')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect(await closed).toBe(false);
    expect(socket.closed).toBe(true);
  });
});

describe('bad arguments', () => {
  it('are refused with Node argument errors or the kernel error, naming what is wrong', async () => {
    expect(() => socketPair('bogus' as 'dgram')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => socketPair(7 as unknown as 'dgram')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => createDatagramSocket({ bind: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => createDatagramSocket({ maxDatagramBytes: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => createDatagramSocket({ credentials: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const [stream, other] = socketPair('stream');
    other.close();
    expect(() => DatagramSocket.fromFd(stream)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    // A datagram pair is not for a Channel, and the other way round.
    const [d1, d2] = socketPair('dgram');
    d2.close();
    expect(() => Channel.fromFd(d1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));

    const name = abstractName('taken');
    const first = createDatagramSocket({ bind: name });
    expect(() => createDatagramSocket({ bind: name })).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
    expect(() => createDatagramSocket({ connect: abstractName('none') })).toThrow(expect.objectContaining({ code: 'ECONNREFUSED', syscall: 'connect' }));
    const socket = createDatagramSocket();
    await expect(socket.sendTo(42 as unknown as string, 'x')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(socket.sendTo(name, 42 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(socket.sendTo(name, 'x', [-1])).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(socket.sendTo(name, 'x', new Array(254).fill(0))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(socket.sendTo(name, 'x', [], { credentials: { uid: -5 } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(socket.sendTo(`/${'x'.repeat(200)}`, 'x')).rejects.toMatchObject({ code: 'ENAMETOOLONG', syscall: 'sendmsg' });
    socket.close();
    first.close();
  });
});
