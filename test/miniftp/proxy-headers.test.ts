// ProxyHeaders, as the master and the helper use it, on real TCP
// connections: who the client is for each kind of header, and the bound on
// headers awaited at once.
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { TcpListener, type FdHandle } from 'privsep';
import { ProxyHeaders } from '../../examples/miniftp/proxy-headers.js';
import { TrustedProxies } from '../../examples/miniftp/proxy-trust.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function connection(first?: string | Buffer): Promise<FdHandle> {
  const listener = new TcpListener({ host: '127.0.0.1', port: 0 });
  const client = net.connect(listener.port, '127.0.0.1');
  client.on('error', () => {});
  if (first !== undefined) client.write(first);
  const { fd } = await listener.accept({ timeoutMs: 5000 });
  listener.close();
  cleanup.push(() => {
    client.destroy();
    fd.close();
  });
  return fd;
}

const trusted = TrustedProxies.parse('127.0.0.1');

test('the header\'s source is the client; LOCAL keeps the balancer; UNSPEC and untrusted peers are refused', async () => {
  const headers = new ProxyHeaders(trusted);
  expect(await headers.clientOf(await connection('PROXY TCP6 2001:db8::5 ::1 4000 21\r\n'), '127.0.0.1')).toEqual({ ok: true, client: '2001:db8::5' });
  const mapped = Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a21210024', 'hex'), Buffer.from('00000000000000000000ffffc0000207', 'hex'), Buffer.alloc(20)]);
  expect(await headers.clientOf(await connection(mapped), '127.0.0.1')).toEqual({ ok: true, client: '192.0.2.7' });
  expect(await headers.clientOf(await connection(Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex')), '127.0.0.1')).toEqual({ ok: true, client: '127.0.0.1' });
  expect(await headers.clientOf(await connection('PROXY UNKNOWN\r\n'), '127.0.0.1')).toEqual({ ok: true, client: '127.0.0.1' });
  expect(await headers.clientOf(await connection(Buffer.from('0d0a0d0a000d0a515549540a21000000', 'hex')), '127.0.0.1'))
    .toEqual({ ok: false, reason: 'PROXY protocol: the header from 127.0.0.1 relays unspec, not TCP over IP' });
  expect(await headers.clientOf(await connection('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n'), '127.0.0.2'))
    .toEqual({ ok: false, reason: 'PROXY protocol: 127.0.0.2 is not in proxy_protocol_trusted' });
});

test('at most `limit` headers are awaited at once; the next connection is refused at once', async () => {
  const headers = new ProxyHeaders(trusted, 1);
  const slow = headers.clientOf(await connection(), '127.0.0.1', 2000);
  const started = Date.now();
  expect(await headers.clientOf(await connection('PROXY UNKNOWN\r\n'), '127.0.0.1')).toEqual({ ok: false, reason: 'PROXY protocol: 1 headers pending already' });
  expect(Date.now() - started).toBeLessThan(1500);
  expect(await slow).toEqual({ ok: false, reason: 'PROXY protocol: 127.0.0.1: no header within 2 s' });
  // Its place is free again.
  expect(await headers.clientOf(await connection('PROXY UNKNOWN\r\n'), '127.0.0.1')).toEqual({ ok: true, client: '127.0.0.1' });
});
