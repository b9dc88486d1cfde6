// Acceptor: real listeners, real connections, metadata from accept.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Acceptor, FdHandle, decodePeer, socketPair, type AcceptedConnection } from '../../src/index.js';
import { native } from '../../src/native.js';

function nextBatch(acceptor: Acceptor): Promise<AcceptedConnection[]> {
  return new Promise((resolve) => acceptor.once('connections', resolve));
}

describe('Acceptor', () => {
  it('accepts on IPv4 and IPv6 listeners and reports the listener and the peer', async () => {
    const acceptor = new Acceptor([{ host: '127.0.0.1', port: 0, name: 'v4' }, { host: '::1', port: 0 }]);
    try {
      expect(acceptor.sockets.map((s) => s.name)).toEqual(['v4', `::1:${acceptor.sockets[1]!.port}`]);
      for (const [index, listener] of acceptor.sockets.entries()) {
        const batch = nextBatch(acceptor);
        const client = net.connect(listener.port, listener.host);
        await new Promise((r) => client.once('connect', r));
        const [accepted] = await batch;
        expect(accepted!.listener).toBe(index);
        expect(decodePeer(accepted!.peer, 0)).toEqual({
          family: index === 0 ? 'IPv4' : 'IPv6',
          address: listener.host,
          port: client.localPort,
        });
        native.close(accepted!.fd);
        client.destroy();
      }
    } finally {
      acceptor.close();
    }
  });

  it('pause leaves connections in the backlog; resume takes them', async () => {
    const acceptor = new Acceptor([{ host: '127.0.0.1', port: 0 }]);
    acceptor.pause();
    const got: AcceptedConnection[] = [];
    acceptor.on('connections', (batch) => got.push(...batch));
    const clients = Array.from({ length: 5 }, () => net.connect(acceptor.sockets[0]!.port, '127.0.0.1'));
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(0);
    acceptor.resume();
    for (let i = 0; i < 100 && got.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(5);
    for (const c of got) native.close(c.fd);
    for (const c of clients) c.destroy();
    acceptor.close();
  });

  it('a port in use fails with EADDRINUSE and leaves nothing open', () => {
    const first = new Acceptor([{ host: '127.0.0.1', port: 0 }]);
    const port = first.sockets[0]!.port;
    expect(() => new Acceptor([{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port }])).toThrow(
      expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }),
    );
    first.close();
  });

  it('a bad address is refused', () => {
    expect(() => new Acceptor([{ host: 'localhost', port: 0 }])).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => new Acceptor([])).toThrow(TypeError);
  });

  it('takes over a listener opened elsewhere: connections waiting in its backlog are accepted, and its close closes it', async () => {
    const fd = native.inetListen('127.0.0.1', 0, 16, true);
    native.setNonBlocking(fd, false);
    const port = (native.getsockname(fd) as { port: number }).port;
    const early = net.connect(port, '127.0.0.1');
    await new Promise((r) => early.once('connect', r));
    const handle = new FdHandle(fd);
    const acceptor = new Acceptor([{ handle, name: 'inherited' }]);
    try {
      expect(handle.closed).toBe(true);
      expect(acceptor.sockets[0]).toMatchObject({ name: 'inherited', host: '127.0.0.1', port, fd });
      const [accepted] = await nextBatch(acceptor);
      expect(decodePeer(accepted!.peer, 0)).toMatchObject({ address: '127.0.0.1', port: early.localPort });
      native.close(accepted!.fd);
    } finally {
      acceptor.close();
      early.destroy();
    }
    expect(() => native.getSocketType(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('refuses to take over what is not a listening TCP socket, and closes every handle it was given', () => {
    const [a, b] = socketPair('stream');
    const listening = new FdHandle(native.inetListen('127.0.0.1', 0, 16, true));
    expect(() => new Acceptor([{ handle: listening }, { handle: a }])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/addresses\[1\]\.handle.*not a listening stream socket/) }),
    );
    expect(listening.closed).toBe(true);
    expect(a.closed).toBe(true);
    b.close();
    const unixListener = new FdHandle(native.unixSocket(native.SOCK_STREAM));
    native.bindUnix(unixListener.fd, Buffer.from(`privsep-acceptor-test-${process.pid}`), true);
    native.listen(unixListener.fd, 4);
    expect(() => new Acceptor([{ handle: unixListener }])).toThrow(expect.objectContaining({ message: expect.stringMatching(/not a TCP socket/) }));
    expect(unixListener.closed).toBe(true);
  });
});
