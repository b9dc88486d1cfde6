// Data connection strategies of the FTP client: passive (EPSV, falling back
// to PASV) connects to the server; active (EPRT, falling back to PORT)
// listens on our side and accepts the server's connection, from the
// control connection's peer only. Unprivileged client code.
import net from 'node:net';
import type tls from 'node:tls';
import {
  addressFamily, encodeEprt, encodeHostPort, FtpError, parseEpsvReply, parsePasvReply, ReplyCode,
  sameAddress, type Reply,
} from '../../ftp/index.js';
import { FtpTimeoutError } from './errors.js';
import { connectRaw, type RawDataSocket } from './raw-data.js';
import type { FtpTransport } from './transport.js';

/** passive: the client connects (EPSV/PASV); active: the server connects (EPRT/PORT). */
export type DataMode = 'passive' | 'active';

/**
 * What the client learned about the server's commands: a command that was
 * refused as unknown (500, 502, 504, or 522 for the address family) is not
 * tried again on this connection.
 */
export interface DataCommandSupport {
  epsv?: boolean;
  eprt?: boolean;
  /** False once a pipelined EPSV, REST, RETR failed to start: the commands then go one at a time. */
  pipelining?: boolean;
}

/** A data connection being set up; the socket is ready once `socket()` resolves. */
export interface DataConnection<S = net.Socket> {
  /**
   * The connected socket. Passive: connecting began when the connection was
   * opened. Active: resolves when the server connects, which it does after
   * the transfer command.
   * @throws FtpTimeoutError (ETIMEDOUT); the socket's error (ECONNREFUSED, ...)
   */
  socket(): Promise<S>;
  /** Closes whatever is open (the socket, or the listener); idempotent. */
  close(): void;
}

/** Options of {@link openDataConnection}. */
export interface OpenDataOptions {
  mode: DataMode;
  support: DataCommandSupport;
  /**
   * Passive: connect to the address in the 227 reply instead of the control
   * connection's peer. Off by default: servers behind NAT announce private
   * addresses, and following it would let a server point us anywhere.
   */
  usePasvAddress?: boolean;
}

// Reply codes that mean "I do not know this command" (or this address family).
const UNSUPPORTED = new Set<number>([ReplyCode.SyntaxError, ReplyCode.SyntaxErrorInArguments, ReplyCode.CommandNotImplemented, ReplyCode.ParameterNotImplemented, ReplyCode.NetworkProtocolNotSupported]);

function refused(reply: Reply): FtpError {
  return new FtpError(reply.code, reply.text);
}

/**
 * Sets up a data connection for the next transfer command on `transport`.
 * @throws FtpError for a refusal of both the extended and the old command;
 *   FtpProtocolError (ERR_FTP_PROTOCOL) for a 227/229 without an address;
 *   FtpClosedError, FtpTimeoutError from the control connection
 */
export async function openDataConnection(transport: FtpTransport, options: OpenDataOptions): Promise<DataConnection> {
  const data = options.mode === 'active' ? await openActive(transport, options.support) : await openPassive(transport, options);
  return transport.secure ? secureDataConnection(transport, data) : data;
}

/**
 * PROT P: the data connection becomes a TLS one, resuming the control
 * connection's session, once its TCP connection is made.
 */
function secureDataConnection(transport: FtpTransport, data: DataConnection): DataConnection {
  let secured: tls.TLSSocket | null = null;
  let closed = false;
  const socket = data.socket().then(async (plain) => {
    secured = await transport.secureData(plain);
    if (closed) secured.destroy();
    return secured;
  });
  socket.catch(() => {});
  return {
    socket: () => socket,
    close: () => {
      closed = true;
      secured?.destroy();
      data.close();
    },
  };
}

async function openPassive(transport: FtpTransport, options: OpenDataOptions): Promise<DataConnection> {
  const { host, port } = await passiveAddress(transport, options);
  return connectTo(host, port, transport.timeoutMs);
}

/**
 * Sets up a passive data connection held as a raw fd (for splicing a
 * download into a file), whatever `options.mode` says; plain FTP only.
 * @throws as {@link openDataConnection}
 */
export async function openRawDataConnection(transport: FtpTransport, options: OpenDataOptions): Promise<DataConnection<RawDataSocket>> {
  const { host, port } = await passiveAddress(transport, options);
  return connectRaw(host, port, transport.timeoutMs);
}

async function passiveAddress(transport: FtpTransport, options: OpenDataOptions): Promise<{ host: string; port: number }> {
  const { support } = options;
  let host = transport.remoteAddress;
  let port: number | undefined;
  if (support.epsv !== false) {
    const reply = await transport.request('EPSV');
    if (reply.code === ReplyCode.EnteringExtendedPassiveMode) {
      support.epsv = true;
      port = parseEpsvReply(reply.text);
    } else if (UNSUPPORTED.has(reply.code) && support.epsv === undefined) {
      support.epsv = false;
    } else {
      throw refused(reply);
    }
  }
  if (port === undefined) {
    const reply = await transport.request('PASV');
    if (reply.code !== ReplyCode.EnteringPassiveMode) throw refused(reply);
    const address = parsePasvReply(reply.text);
    port = address.port;
    if (options.usePasvAddress) host = address.host;
  }
  return { host, port };
}

function connectTo(host: string, port: number, timeoutMs: number): DataConnection {
  const socket = net.connect({ host, port });
  const connected = new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new FtpTimeoutError(`data connection to ${host}:${port} not made within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // Closed before it connected (a refused transfer): no timer may outlive it.
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the data connection was closed'));
    });
  });
  connected.catch(() => {});
  return {
    socket: () => connected,
    close: () => socket.destroy(),
  };
}

async function openActive(transport: FtpTransport, support: DataCommandSupport): Promise<DataConnection> {
  const server = net.createServer({ pauseOnConnect: true });
  const local = transport.localAddress;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: local, port: 0, backlog: 1 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  const peer = transport.remoteAddress;
  let accepted: net.Socket | null = null;
  const connection = new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.close();
      reject(new FtpTimeoutError(`the server did not open the data connection within ${transport.timeoutMs} ms`));
    }, transport.timeoutMs);
    server.on('connection', (socket) => {
      // Only the server we talk to may deliver our data (no data connection theft).
      if (accepted || !sameAddress(socket.remoteAddress ?? '', peer)) {
        socket.destroy();
        return;
      }
      accepted = socket;
      clearTimeout(timer);
      server.close();
      // Still paused (pauseOnConnect): the transfer starts reading when it is ready.
      resolve(socket);
    });
    server.once('close', () => {
      clearTimeout(timer);
      if (!accepted) reject(new Error('the data listener was closed'));
    });
  });
  connection.catch(() => {});
  const close = (): void => {
    server.close();
    accepted?.destroy();
  };
  try {
    const ipv6 = addressFamily(local) === 'IPv6';
    let done = false;
    if (support.eprt !== false || ipv6) {
      const reply = await transport.request('EPRT', encodeEprt(local, port));
      if (reply.code === ReplyCode.Ok) {
        support.eprt = true;
        done = true;
      } else if (!ipv6 && UNSUPPORTED.has(reply.code) && support.eprt === undefined) {
        support.eprt = false;
      } else {
        throw refused(reply);
      }
    }
    if (!done) {
      const reply = await transport.request('PORT', encodeHostPort(local, port));
      if (reply.code !== ReplyCode.Ok) throw refused(reply);
    }
  } catch (err) {
    close();
    throw err;
  }
  return { socket: () => connection, close };
}
