// A scripted FTP peer on 127.0.0.1, for what no server at hand does on
// purpose: each command line goes to a handler that answers as the test
// wants, with passive data connections on request.
import net from 'node:net';

export type Handler = (verb: string, arg: string, peer: Peer) => void;

export interface Peer {
  socket: net.Socket;
  reply(line: string): void;
  /** Opens a passive listener; `serve` writes to the data connection once it comes. */
  passive(serve: (data: net.Socket) => void): Promise<number>;
}

export interface Scripted {
  port: number;
  commands: string[];
  connections: number;
  close(): Promise<void>;
}

const running: Scripted[] = [];

/** Closes every peer started so far (for afterEach). */
export async function closeScriptedPeers(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.close()));
}

/** A server that greets (unless `greeting` is null) and hands each command line to `handle`. */
export async function scripted(handle: Handler, greeting: string | null = '220 scripted'): Promise<Scripted> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const listeners = new Set<net.Server>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const peer: Peer = {
      socket,
      reply: (line) => socket.write(`${line}\r\n`),
      passive: (serve) => new Promise((resolve) => {
        const data = net.createServer((conn) => {
          data.close();
          serve(conn);
        });
        listeners.add(data);
        data.listen(0, '127.0.0.1', () => resolve((data.address() as net.AddressInfo).port));
      }),
    };
    if (greeting !== null) peer.reply(greeting);
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let nl = pending.indexOf('\r\n'); nl !== -1; nl = pending.indexOf('\r\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        commands.push(line);
        const space = line.indexOf(' ');
        handle(space === -1 ? line : line.slice(0, space), space === -1 ? '' : line.slice(space + 1), peer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result: Scripted = {
    port: (server.address() as net.AddressInfo).port,
    commands,
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      for (const l of listeners) l.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  running.push(result);
  return result;
}

/** Answers a transfer command (LIST, MLSD, RETR) whose data the passive connection carries: 150, then 226. */
export function replyTransfer(peer: Peer): void {
  peer.reply('150 here it comes');
  setTimeout(() => peer.reply('226 done'), 20);
}

/** Answers a login, FEAT (with `features`), TYPE and QUIT; other verbs go to `more`. */
export function basics(features: string[], more: Handler): Handler {
  return (verb, arg, peer) => {
    switch (verb) {
      case 'USER': return peer.reply('331 password');
      case 'PASS': return peer.reply('230 in');
      case 'FEAT': return peer.reply(['211-Features:', ...features.map((f) => ` ${f}`), '211 End'].join('\r\n'));
      case 'TYPE': return peer.reply('200 ok');
      case 'QUIT': return peer.reply('221 bye');
      default: return more(verb, arg, peer);
    }
  };
}
