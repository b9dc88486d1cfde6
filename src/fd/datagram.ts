// DatagramSocket: a unix datagram socket (SOCK_DGRAM), bound to a path or an
// abstract name, unbound, or one end of socketPair('dgram'). Each send is one
// datagram, with fds and credentials attached; receiving runs on the event
// loop through one FdWatcher, as a Channel does. Node's dgram module has no
// unix sockets.
import fs from 'node:fs';
import { native, type NativeSocketAddress } from '../native.js';
import { ChannelClosedError, checkInteger, errnoError, invalidArgType, isErrnoError, outOfRange } from '../errors.js';
import { FdHandle } from './fd-handle.js';
import { MAX_FDS_PER_MESSAGE } from './frame-reader.js';
import { type Sendable, closeAll, fdOf } from './sendable.js';
import { type ParsedAddress, parseAddress } from './unix.js';
import { CREDENTIAL_SLOTS, type PeerCredentials, readCredentials, statedCredentials } from './credentials.js';
import { type SendOptions, toBuffer } from './channel.js';
import { WatchedSocket } from './watched-socket.js';

/** A received datagram: the caller owns (and must close) every fd in it. */
export interface Datagram {
  data: Buffer;
  fds: FdHandle[];
  /** The sender's address (a path, or "\0" and an abstract name); null for an unnamed sender (a socketpair's peer, an unbound socket). */
  from: string | null;
  /**
   * When the socket passes credentials (`credentials: true`): the sender's
   * pid, uid and gid as the kernel checked them. Else null, as when the
   * kernel has no pid to give (see Message).
   */
  credentials: PeerCredentials | null;
}

export interface DatagramSocketOptions {
  /** Largest datagram received, in bytes (default 64 KiB); a longer one is reported as EMSGSIZE. */
  maxDatagramBytes?: number;
  /** Received datagrams held for `receive()` before reading pauses (default 1024). */
  highWaterMark?: number;
  /** Give each received datagram the sender's credentials (SO_PASSCRED; default false). */
  credentials?: boolean;
}

export interface CreateDatagramSocketOptions extends DatagramSocketOptions {
  /** Bind to this path or abstract name ("\0name"); a path bound here is removed on close. */
  bind?: string;
  /** Connect to this address: `send()` then goes there, and only datagrams from there arrive. */
  connect?: string;
}

interface PendingDatagram {
  data: Buffer;
  fds: number[] | null;
  sendables: Sendable[] | null;
  cred: Int32Array | null;
  to: ParsedAddress | null;
  resolve: () => void;
  reject: (err: Error) => void;
}

const AF_UNIX = 1;
const DEFAULT_MAX_BYTES = 64 * 1024;
// The kernel's limit for one unix datagram is the socket's send buffer (at most a few MiB).
const MAX_DATAGRAM_BYTES = 16 * 1024 * 1024;
// What one datagram can get wrong without harming the socket: it was
// consumed, its fds closed, and the next one can be read.
const DATAGRAM_ERRORS = new Set(['EMSGSIZE', 'ERR_PRIVSEP_FDS_TRUNCATED', 'ERR_PRIVSEP_UNEXPECTED_CONTROL_MESSAGE']);
const MAX_RETRY_PAUSE_MS = 100;

export declare interface DatagramSocket {
  on(event: 'message', listener: (datagram: Datagram) => void): this;
  on(event: 'close', listener: (hadError: boolean) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'message', listener: (datagram: Datagram) => void): this;
  once(event: 'close', listener: (hadError: boolean) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

/**
 * A unix datagram socket. Send with `send()` (to the connected peer) or
 * `sendTo()`; receive with `receive()`, `for await`, or 'message' events
 * (when a 'message' listener exists, datagrams go to it instead of the
 * queue). A datagram that could not be received whole (longer than
 * `maxDatagramBytes`: EMSGSIZE with `size`; fds cut: ERR_PRIVSEP_FDS_TRUNCATED)
 * takes its place in the order as an error: `receive()` rejects with it, or
 * 'error' is emitted when something listens; its fds are closed and the
 * socket reads on. Events: 'close' (hadError) once closed.
 */
export class DatagramSocket extends WatchedSocket<Datagram> {
  readonly #unlinkPath: string | null;
  readonly #buffer: Buffer;
  readonly #fdsOut = new Int32Array(MAX_FDS_PER_MESSAGE);
  readonly #recvInfo = new Int32Array(1 + CREDENTIAL_SLOTS);
  readonly #sends: PendingDatagram[] = [];
  #retryTimer: NodeJS.Timeout | null = null;
  #retryPause = 1;

  /**
   * Takes ownership of a unix datagram socket fd (one end of
   * socketPair('dgram'), or one given by a parent) and makes it non-blocking
   * and close-on-exec.
   * @throws ENOTSOCK, EBADF; ERR_OUT_OF_RANGE for a socket that is not a unix datagram socket
   */
  static fromFd(fd: number | FdHandle, options: DatagramSocketOptions = {}): DatagramSocket {
    const number = fd instanceof FdHandle ? fd.release() : checkInteger('fd', fd, 0, 0x7fffffff);
    return new DatagramSocket(number, null, options);
  }

  /** @internal use createDatagramSocket() or DatagramSocket.fromFd() */
  constructor(fd: number, unlinkPath: string | null, options: DatagramSocketOptions) {
    let maxBytes: number;
    let highWaterMark: number;
    try {
      if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
      if (native.getSocketType(fd) !== native.SOCK_DGRAM || native.getSocketDomain(fd) !== AF_UNIX) {
        throw outOfRange('fd', 'a unix datagram socket', `socket type ${native.getSocketType(fd)}, domain ${native.getSocketDomain(fd)}`);
      }
      maxBytes = checkInteger('options.maxDatagramBytes', options.maxDatagramBytes ?? DEFAULT_MAX_BYTES, 1, MAX_DATAGRAM_BYTES);
      highWaterMark = checkInteger('options.highWaterMark', options.highWaterMark ?? 1024, 1, 2 ** 30);
      if (options.credentials !== undefined && typeof options.credentials !== 'boolean') {
        throw invalidArgType('options.credentials', 'of type boolean', options.credentials);
      }
      native.setNonBlocking(fd, true);
      native.setCloexec(fd, true);
      if (options.credentials) native.setPassCred(fd, true);
    } catch (err) {
      native.close(fd);
      throw err;
    }
    super(fd, { highWaterMark, endMessage: 'socket is closed: no more datagrams' });
    this.#unlinkPath = unlinkPath;
    this.#buffer = Buffer.allocUnsafe(maxBytes);
    this.updateWatch();
  }

  /** The address this socket is bound to (a path or "\0name"), or null when unbound. */
  address(): string | null {
    if (this.closed) throw new ChannelClosedError();
    return formatAddress(native.getsockname(this.fd));
  }

  /**
   * Connects to `address`: `send()` goes there, and only datagrams from
   * there are received.
   * @throws ENOENT, ECONNREFUSED, EACCES, EPROTOTYPE (not a datagram socket)
   */
  connect(address: string): this {
    if (this.closed) throw new ChannelClosedError();
    connectFd(this.fd, parseAddress(address), address);
    return this;
  }

  /**
   * Sends one datagram to the connected peer (the other end of a
   * socketpair, or the address given to `connect`), as `sendTo` does.
   */
  send(data: Uint8Array | string, fds: readonly Sendable[] = [], options: SendOptions = {}): Promise<void> {
    return this.#enqueue(null, data, fds, options);
  }

  /**
   * Sends one datagram of `data` with `fds` (at most 253) to `address` (a
   * path, or "\0" and an abstract name). Resolves when the kernel has taken
   * it; the fds then travel even if this process exits. While the receiver's
   * queue is full, it waits (datagrams go out in the order given).
   * @throws ERR_PRIVSEP_CHANNEL_CLOSED; ENOENT or ECONNREFUSED when nobody is bound
   *   there; EACCES; EMSGSIZE for a datagram larger than the socket's send buffer;
   *   EBADF for a bad fd; ERR_OUT_OF_RANGE for too many fds
   */
  sendTo(address: string, data: Uint8Array | string, fds: readonly Sendable[] = [], options: SendOptions = {}): Promise<void> {
    let to: PendingDatagram['to'];
    try {
      to = parseAddress(address);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#enqueue(to, data, fds, options);
  }

  #enqueue(to: PendingDatagram['to'], data: Uint8Array | string, fds: readonly Sendable[], options: SendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new ChannelClosedError('cannot send: socket is closed', { cause: this.received.closeError ?? undefined }));
    let entry: Omit<PendingDatagram, 'resolve' | 'reject'>;
    try {
      if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
      if (!Array.isArray(fds)) throw invalidArgType('fds', 'an array', fds);
      if (fds.length > MAX_FDS_PER_MESSAGE) throw outOfRange('fds.length', `<= ${MAX_FDS_PER_MESSAGE}`, fds.length);
      entry = {
        data: toBuffer(data),
        fds: fds.length === 0 ? null : fds.map((fd, i) => fdOf(fd, `fds[${i}]`)),
        sendables: options.closeAfterSend && fds.length > 0 ? [...fds] : null,
        cred: options.credentials === undefined ? null : statedCredentials('options.credentials', options.credentials),
        to,
      };
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#sends.push({ ...entry, resolve, reject });
      if (this.#sends.length === 1 && this.#retryTimer === null) this.#flush();
    });
  }

  #flush(): void {
    while (this.#sends.length > 0 && !this.closed) {
      const entry = this.#sends[0]!;
      let sent: number;
      try {
        sent = native.sendmsg(this.fd, [entry.data], entry.fds, entry.cred, entry.to?.path ?? null, entry.to?.abstract ?? false);
      } catch (err) {
        // One datagram's fault (nobody at that address, a bad fd, too large): the socket goes on.
        this.#sends.shift();
        entry.reject(err as Error);
        continue;
      }
      if (sent < 0) {
        // The receiver's queue is full. Writability of this socket tells of
        // that only for its connected peer; for another address, try again later.
        if (entry.to !== null) this.#retryLater();
        break;
      }
      this.#retryPause = 1;
      this.#sends.shift();
      if (entry.sendables) closeAll(entry.sendables).then(entry.resolve, entry.reject);
      else entry.resolve();
    }
    this.updateWatch();
  }

  #retryLater(): void {
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#flush();
    }, this.#retryPause);
    this.#retryPause = Math.min(this.#retryPause * 2, MAX_RETRY_PAUSE_MS);
  }

  protected wantsWritable(): boolean {
    return this.#sends.length > 0 && this.#retryTimer === null;
  }

  protected onWritable(): void {
    if (this.#retryTimer === null) this.#flush();
  }

  protected onReadable(): void {
    this.#read();
  }

  #read(): void {
    while (!this.closed && !this.received.full) {
      let received: ReturnType<typeof native.recvdatagram>;
      try {
        received = native.recvdatagram(this.fd, this.#buffer, this.#fdsOut, this.#recvInfo);
      } catch (err) {
        if (!isDatagramError(err)) {
          this.destroy(err as Error);
          return;
        }
        this.received.deliverError(err as Error);
        continue;
      }
      if (received === null) break;
      const fds = Array.from(this.#fdsOut.subarray(0, this.#recvInfo[0]!), (fd) => new FdHandle(fd));
      this.received.deliver({
        data: Buffer.from(this.#buffer.subarray(0, received.bytes)),
        fds,
        from: received.from === null ? null : formatAddress(received.from),
        credentials: readCredentials(this.#recvInfo, 1),
      });
    }
    this.updateWatch();
  }

  protected released(err: Error | null): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#unlinkPath !== null) fs.rmSync(this.#unlinkPath, { force: true });
    const sendError = err ?? new ChannelClosedError('socket closed before the datagram was sent');
    for (const entry of this.#sends.splice(0)) entry.reject(sendError);
  }
}

/**
 * A unix datagram socket, bound to `options.bind` and connected to
 * `options.connect` when given (neither: an unbound socket that can
 * `sendTo` any address).
 * @throws EADDRINUSE, EACCES, ENAMETOOLONG (bind); ENOENT, ECONNREFUSED (connect)
 */
export function createDatagramSocket(options: CreateDatagramSocketOptions = {}): DatagramSocket {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  const fd = openDatagramFd(options.bind, options.connect);
  const unlinkPath = options.bind !== undefined && !options.bind.startsWith('\0') ? options.bind : null;
  return new DatagramSocket(fd, unlinkPath, options);
}

/** @internal A new non-blocking, close-on-exec unix datagram socket fd, bound and connected as asked. */
export function openDatagramFd(bind?: string, connect?: string): number {
  const local = bind === undefined ? null : parseAddress(bind);
  const remote = connect === undefined ? null : parseAddress(connect);
  const fd = native.unixSocket(native.SOCK_DGRAM);
  try {
    if (local) native.bindUnix(fd, local.path, local.abstract);
  } catch (err) {
    native.close(fd);
    throw err;
  }
  try {
    if (remote) connectFd(fd, remote, connect!);
  } catch (err) {
    native.close(fd);
    if (local && !local.abstract) fs.rmSync(bind!, { force: true });
    throw err;
  }
  return fd;
}

function connectFd(fd: number, { path, abstract }: ParsedAddress, address: string): void {
  // A datagram connect never waits; EAGAIN here would be the kernel's surprise.
  if (!native.connectUnix(fd, path, abstract)) throw errnoError('EAGAIN', 'connect', { path: address });
}

function formatAddress(address: NativeSocketAddress): string | null {
  if (address.family !== 'unix') return null;
  if (address.abstract) return `\0${address.path.toString()}`;
  return address.path.length === 0 ? null : address.path.toString();
}

function isDatagramError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && DATAGRAM_ERRORS.has((err as { code?: unknown }).code as string) &&
    (!isErrnoError(err) || err.syscall === 'recvmsg');
}
