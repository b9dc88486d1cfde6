// Unix sockets by path and by abstract name, with peer credentials.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, connectUnix, listenUnix } from '../../src/index.js';
import { fixture, killAll, startNode } from '../helpers/process.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-unix-'));
afterAll(() => {
  killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each([
  ['a path', () => path.join(tmp, `sock-${Math.random().toString(36).slice(2)}`), (a: string) => a],
  ['an abstract name', () => `\0privsep-test-${process.pid}-${Math.random().toString(36).slice(2)}`, (a: string) => `@${a.slice(1)}`],
])('unix socket at %s', (_what, makeAddress, argOf) => {
  it('accepts a child, sees its credentials, and gets its fd', async () => {
    const address = makeAddress();
    const server = listenUnix(address);
    const accepted = new Promise<Channel>((resolve) => server.once('connection', resolve));
    const child = startNode(fixture('unix-client.mjs'), [argOf(address)]);
    const channel = await accepted;
    const message = await channel.receive();
    expect(message.data.toString()).toBe(String(child.child.pid));
    expect(channel.peerCredentials()).toEqual({ pid: child.child.pid, uid: process.getuid!(), gid: process.getgid!() });
    expect(fs.readFileSync(message.fds[0]!.fd, 'utf8')).toBe(fs.readFileSync('/etc/hostname', 'utf8'));
    message.fds[0]!.close();
    await channel.send('bye');
    expect((await child.exited).code).toBe(0);
    expect(child.stdout()).toBe('bye');
    channel.close();
    server.close();
    if (!address.startsWith('\0')) expect(fs.existsSync(address)).toBe(false);
  });

  it('a second listener on the same address fails with EADDRINUSE', () => {
    const address = makeAddress();
    const server = listenUnix(address);
    expect(() => listenUnix(address)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
    server.close();
  });
});

describe('connectUnix', () => {
  it('to nothing fails like Node: ENOENT for a path, ECONNREFUSED for an abstract name', async () => {
    await expect(connectUnix(path.join(tmp, 'nobody-here'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    await expect(connectUnix(`\0privsep-nobody-${process.pid}`)).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
  });

  it('over seqpacket too', async () => {
    const address = `\0privsep-seq-${process.pid}`;
    const server = listenUnix(address, { type: 'seqpacket' });
    const accepted = new Promise<Channel>((resolve) => server.once('connection', resolve));
    const client = await connectUnix(address, { type: 'seqpacket' });
    const channel = await accepted;
    await client.send('packet');
    expect((await channel.receive()).data.toString()).toBe('packet');
    client.close();
    channel.close();
    server.close();
  });

  it('rejects an empty address with a TypeError', async () => {
    expect(() => listenUnix('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(connectUnix('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
