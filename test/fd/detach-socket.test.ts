// detachSocket: a connection taken out of a net.Socket keeps every byte
// both ways, and nothing but an open net.Socket is accepted.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { detachSocket } from '../../src/index.js';
import { connectedPair } from '../helpers/tcp-pair.js';

function collect(socket: net.Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
  });
}

describe('detachSocket', () => {
  let cleanup: (() => void) | null = null;
  afterEach(() => {
    cleanup?.();
    cleanup = null;
  });

  it('returns the bytes Node had read, flushes pending writes, and leaves the connection open', async () => {
    const { client, server, close } = await connectedPair();
    cleanup = close;
    client.write('hello ');
    await new Promise<void>((resolve) => server.once('readable', () => resolve()));
    // A megabyte still on its way out when the socket is detached.
    const big = Buffer.alloc(1 << 20, 7);
    const received = collect(client, big.length + 5);
    server.write(big);
    const { fd, unread } = await detachSocket(server);
    expect(unread.toString()).toBe('hello ');
    expect(server.destroyed).toBe(true);
    const next = fd.toSocket();
    next.write('after');
    const all = await received;
    expect(all.subarray(0, big.length).equals(big)).toBe(true);
    expect(all.subarray(big.length).toString()).toBe('after');
    const more = collect(next, 5);
    client.write('world');
    expect((await more).toString()).toBe('world');
    next.destroy();
  });

  it('rejects a socket that is closed, and what is not a socket', async () => {
    const { server, close } = await connectedPair();
    cleanup = close;
    server.destroy();
    await expect(detachSocket(server)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    await expect(detachSocket({} as net.Socket)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
