// TCP sockets as raw fds, for a process that makes sockets for another one
// (miniftp's nobody helper): connect (optionally from a chosen local port)
// and listen/accept, event-loop driven, yielding FdHandles with peer addresses.
import { native } from '../native.js';
import { abortError, checkFd, checkInteger, errnoError, invalidArgType } from '../errors.js';
import { FdHandle } from './fd-handle.js';
import { PEER_RECORD_BYTES, decodePeer, type PeerAddress } from './peer-address.js';
import { whenReady } from './fd-poller.js';

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConnectTcpOptions extends WaitOptions {
  host: string;
  port: number;
  /** Connect from this local address (and port, e.g. 20 for active FTP). */
  localAddress?: string;
  localPort?: number;
}

/**
 * Connects to host:port (an IP literal) and resolves with the socket's fd.
 * @throws ECONNREFUSED, ETIMEDOUT, EACCES (a local port < 1024 without CAP_NET_BIND_SERVICE), EINVAL, AbortError
 */
export async function connectTcp(options: ConnectTcpOptions): Promise<FdHandle> {
  if (typeof options?.host !== 'string') throw invalidArgType('host', 'an IP address string', options?.host);
  checkInteger('port', options.port, 1, 65535);
  const localPort = checkInteger('localPort', options.localPort ?? 0, 0, 65535);
  const bindAddress = options.localAddress ?? (options.localPort ? (options.host.includes(':') ? '::' : '0.0.0.0') : null);
  const handle = new FdHandle(native.inetConnect(options.host, options.port, bindAddress, localPort));
  try {
    await whenReady(handle, 'writable', (ready) => {
      if (!ready) return undefined;
      const err = native.getSocketError(handle.fd);
      if (err !== 0) throw errnoError(-err, 'connect');
      return true;
    }, { ...options, syscall: 'connect' });
    return handle;
  } catch (err) {
    handle.close();
    throw err;
  }
}

export interface TcpListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  backlog?: number;
  ipv6Only?: boolean;
}

/** A listening TCP socket that accepts one connection at a time, on request. */
export class TcpListener {
  readonly port: number;
  readonly #fd: FdHandle;
  readonly #fdOut = new Int32Array(1);
  readonly #peerOut = Buffer.alloc(PEER_RECORD_BYTES);
  // Aborts pending accepts before the fd closes under their watchers; made
  // by the first accept that has to wait (most find their connection there).
  #closing: AbortController | null = null;

  /** @throws EADDRINUSE, EACCES, EINVAL */
  constructor(options: TcpListenerOptions) {
    if (typeof options?.host !== 'string') throw invalidArgType('host', 'an IP address string', options?.host);
    checkInteger('port', options.port, 0, 65535);
    this.#fd = new FdHandle(native.inetListen(options.host, options.port, checkInteger('backlog', options.backlog ?? 16, 1, 65535), options.ipv6Only ?? true));
    this.port = (native.getsockname(this.#fd.fd) as { port: number }).port;
  }

  get fd(): number {
    return this.#fd.fd;
  }

  /**
   * The next connection with its peer's address.
   * @throws ETIMEDOUT, AbortError, EMFILE
   */
  accept(options: WaitOptions = {}): Promise<{ fd: FdHandle; peer: PeerAddress }> {
    if (options.signal?.aborted || this.#fd.closed) return Promise.reject(abortError());
    try {
      const now = this.#take();
      if (now) return Promise.resolve(now);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#closing ??= new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, this.#closing.signal]) : this.#closing.signal;
    return whenReady(this.#fd, 'readable', () => this.#take(), { ...options, signal, syscall: 'accept' });
  }

  #take(): { fd: FdHandle; peer: PeerAddress } | undefined {
    if (native.acceptBatch(this.#fd.fd, this.#fdOut, this.#peerOut) === 0) return undefined;
    return { fd: new FdHandle(this.#fdOut[0]!), peer: decodePeer(this.#peerOut, 0) };
  }

  /** Stops listening; a pending accept rejects with an AbortError. */
  close(): void {
    this.#closing?.abort();
    this.#fd.close();
  }
}

/** The local address and port of a connected or listening inet socket. @throws EBADF, ENOTSOCK, EINVAL for a non-inet socket */
export function localAddress(fd: number | FdHandle): PeerAddress {
  return inetAddress(native.getsockname(fd instanceof FdHandle ? fd.fd : checkFd('fd', fd)));
}

/** The peer's address and port of a connected inet socket. @throws EBADF, ENOTCONN, ENOTSOCK */
export function remoteAddress(fd: number | FdHandle): PeerAddress {
  return inetAddress(native.getpeername(fd instanceof FdHandle ? fd.fd : checkFd('fd', fd)));
}

function inetAddress(address: ReturnType<typeof native.getsockname>): PeerAddress {
  if (address.family !== 'IPv4' && address.family !== 'IPv6') throw errnoError('EINVAL', 'getsockname');
  return { family: address.family, address: address.address, port: address.port };
}
