// A connected pair of TCP sockets on 127.0.0.1, for tests of functions that
// work on one socket (options, detaching).
import net from 'node:net';

/** A client and the server side of its connection; `close` ends both and the listener. */
export async function connectedPair(): Promise<{ client: net.Socket; server: net.Socket; close: () => void }> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  await new Promise<void>((resolve) => (client.connecting ? client.once('connect', () => resolve()) : resolve()));
  return { client, server, close: () => { client.destroy(); server.destroy(); listener.close(); } };
}
