// A relay for an FTP server's control connections on 127.0.0.1 that can be
// taken down (connections refused, open ones cut) and brought back on the
// same port: a server that goes away and returns, while the server itself
// (and its files) stays. Data connections go to the server directly.
import net from 'node:net';
import type { FtpTestServer } from './ftp-servers.js';

export interface FtpRelay {
  /** `server` as seen through the relay (its port). */
  readonly server: FtpTestServer;
  /** Refuses new connections and cuts the open ones. */
  down(): Promise<void>;
  /** Accepts connections again, on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(target: FtpTestServer): Promise<FtpRelay> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const listener = (): net.Server => net.createServer((client) => {
    const upstream = net.connect(target.port, '127.0.0.1');
    track(client);
    track(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', cut).pipe(upstream);
    upstream.on('error', cut).on('close', cut).pipe(client);
  });
  const listen = (server: net.Server, port: number): Promise<number> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  let server: net.Server | null = listener();
  const port = await listen(server, 0);
  const down = async (): Promise<void> => {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    server: { ...target, port },
    down,
    async up() {
      if (server) return;
      server = listener();
      await listen(server, port);
    },
    close: down,
  };
}
