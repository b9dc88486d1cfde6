// readProxyHeader on real TCP connections on 127.0.0.1: exactly the
// header's bytes are taken (whether it comes whole or byte by byte), the
// bytes after it stay for the reader; a slow, malformed or closed one fails
// without blocking the event loop.
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { readNonBlocking, TcpListener, type FdHandle } from '../../src/index.js';
import { readProxyHeader } from '../../src/net/read-proxy-header.js';
import { PROXY_V2_SIGNATURE } from '../../src/net/proxy-header.js';
import { waitForFd } from '../../src/fd/fd-poller.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function connection(): Promise<{ client: net.Socket; server: FdHandle }> {
  const listener = new TcpListener({ host: '127.0.0.1', port: 0 });
  const client = net.connect(listener.port, '127.0.0.1');
  client.on('error', () => {});
  const { fd: server } = await listener.accept({ timeoutMs: 5000 });
  listener.close();
  cleanup.push(() => {
    client.destroy();
    server.close();
  });
  return { client, server };
}

async function rest(fd: FdHandle, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    await waitForFd(fd, 'readable', { timeoutMs: 5000 });
    got += readNonBlocking(fd, buffer, got) ?? 0;
  }
  return buffer.toString();
}

test('a v1 header sent with the first FTP bytes: the header is taken, the FTP bytes are left', async () => {
  const { client, server } = await connection();
  client.write('PROXY TCP4 192.0.2.7 127.0.0.1 40000 21\r\nSTOR x\r\n');
  const header = await readProxyHeader(server, { timeoutMs: 5000 });
  expect(header.source).toEqual({ address: '192.0.2.7', port: 40000 });
  expect(await rest(server, 8)).toBe('STOR x\r\n');
});

test('a v2 header that comes a byte at a time, data right behind it', async () => {
  const { client, server } = await connection();
  const block = Buffer.from([0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 9, 127, 0, 0, 1, 0x13, 0x88, 0x00, 0x15]);
  const bytes = Buffer.concat([PROXY_V2_SIGNATURE, block, Buffer.from('data')]);
  const reading = readProxyHeader(server, { timeoutMs: 10_000 });
  client.setNoDelay(true);
  for (const byte of bytes.subarray(0, 28)) {
    client.write(Buffer.from([byte]));
    await new Promise((r) => setTimeout(r, 5));
  }
  client.write(bytes.subarray(28));
  expect((await reading).source).toEqual({ address: '198.51.100.9', port: 5000 });
  expect(await rest(server, 4)).toBe('data');
});

test('no header within the time: ETIMEDOUT, and the event loop ran meanwhile', async () => {
  const { server } = await connection();
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  await expect(readProxyHeader(server, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  clearInterval(ticker);
  expect(ticks).toBeGreaterThan(3);
});

test('a connection that speaks FTP at once, or ends halfway, is refused', async () => {
  const a = await connection();
  a.client.write('USER anonymous\r\n');
  await expect(readProxyHeader(a.server, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROXY_HEADER', message: /no PROXY signature/ });
  const b = await connection();
  b.client.end('PROXY TCP4 1.2.3.4');
  await expect(readProxyHeader(b.server, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROXY_HEADER', message: /ended after 18 bytes/ });
});

test('an endless v1 line is refused at 107 bytes, not read on', async () => {
  const { client, server } = await connection();
  client.write(`PROXY TCP4 ${'1'.repeat(500)}`);
  await expect(readProxyHeader(server, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROXY_HEADER', message: /longer than 107/ });
});
