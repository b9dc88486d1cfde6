// connectTcp and TcpListener: raw TCP fds with peer addresses.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { TcpListener, connectTcp } from '../../src/index.js';
import { isRoot } from '../helpers/process.js';

describe('TcpListener and connectTcp', () => {
  it('connect to a listener; both ends see the right addresses', async () => {
    const listener = new TcpListener({ host: '127.0.0.1', port: 0 });
    const accepting = listener.accept({ timeoutMs: 5000 });
    const client = await connectTcp({ host: '127.0.0.1', port: listener.port });
    const { fd, peer } = await accepting;
    const clientSocket = client.toSocket();
    expect(peer).toEqual({ family: 'IPv4', address: '127.0.0.1', port: clientSocket.localPort });
    const server = fd.toSocket();
    server.end('over raw fds');
    let text = '';
    for await (const chunk of clientSocket) text += chunk;
    expect(text).toBe('over raw fds');
    listener.close();
  });

  it('refused and timed-out connects are Node-shaped errors', async () => {
    const listener = new TcpListener({ host: '127.0.0.1', port: 0 });
    const port = listener.port;
    listener.close();
    await expect(connectTcp({ host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    const idle = new TcpListener({ host: '127.0.0.1', port: 0 });
    await expect(idle.accept({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'accept' });
    const pending = idle.accept();
    idle.close();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('an accept takes a connection that is already waiting; one after close, or with an aborted signal, rejects', async () => {
    const listener = new TcpListener({ host: '127.0.0.1', port: 0 });
    const client = await connectTcp({ host: '127.0.0.1', port: listener.port });
    const { fd, peer } = await listener.accept({ timeoutMs: 5000 });
    expect(peer.address).toBe('127.0.0.1');
    const aborted = new AbortController();
    aborted.abort();
    await expect(listener.accept({ signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
    listener.close();
    await expect(listener.accept()).rejects.toMatchObject({ name: 'AbortError' });
    fd.close();
    client.close();
  });

  it('connects from a chosen local port', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const seen = new Promise<number>((resolve) => server.once('connection', (c) => { resolve(c.remotePort!); c.destroy(); }));
    const probe = new TcpListener({ host: '127.0.0.1', port: 0 });
    const localPort = probe.port;
    probe.close();
    const fd = await connectTcp({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, localPort });
    expect(await seen).toBe(localPort);
    fd.close();
    server.close();
  });

  it.skipIf(isRoot)('binding a port below 1024 without the capability fails with EACCES', async () => {
    await expect(connectTcp({ host: '127.0.0.1', port: 9, localPort: 20 })).rejects.toMatchObject({ code: 'EACCES', syscall: 'bind' });
  });
});
