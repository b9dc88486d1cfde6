// Acceptor: the master's TCP listeners. Accepts in the addon, in batches,
// driven by the event loop; a connection is never a Node socket here, only
// an fd with the listener it came in on and the peer's address.
import { EventEmitter } from 'node:events';
import { native, type NativeFdWatcher } from '../native.js';
import { checkInteger, invalidArgType, invalidArgValue } from '../errors.js';
import { FdHandle } from '../fd/fd-handle.js';
import { PEER_RECORD_BYTES } from '../fd/peer-address.js';

export interface ListenAddress {
  /** IPv4 or IPv6 literal, e.g. '127.0.0.1' or '::1'. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** A name the worker sees with each connection (default `host:port`). */
  name?: string;
  /** For IPv6 listeners: refuse IPv4-mapped connections (default true). */
  ipv6Only?: boolean;
}

/**
 * A TCP socket already listening, opened elsewhere (passed by systemd, or by
 * the previous generation of this server). The Acceptor takes the handle over.
 */
export interface InheritedListener {
  handle: FdHandle;
  /** A name the worker sees with each connection (default `host:port`). */
  name?: string;
}

export type ListenerSpec = ListenAddress | InheritedListener;

/** One accepted connection: the fd (owned by whoever holds this) and where it came from. */
export interface AcceptedConnection {
  fd: number;
  listener: number;
  /** The peer record (see peer-address.ts), kept raw so it can travel as is. */
  peer: Buffer;
}

const BATCH = 64;

export declare interface Acceptor {
  on(event: 'connections', listener: (batch: AcceptedConnection[]) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/** Listens on every address at once; emits 'connections' with each batch accepted. */
export class Acceptor extends EventEmitter {
  readonly sockets: ReadonlyArray<{ name: string; host: string; port: number; fd: number }>;
  readonly #watchers: NativeFdWatcher[] = [];
  readonly #fdsOut = new Int32Array(BATCH);
  readonly #peersOut = Buffer.alloc(BATCH * PEER_RECORD_BYTES);
  #paused = false;
  #closed = false;

  /**
   * Binds and listens on every address, or takes over listeners already open
   * (all or nothing: on an error every listener given or opened is closed).
   * @throws EADDRINUSE, EACCES (a port below 1024 without CAP_NET_BIND_SERVICE), EINVAL (a bad address);
   *   TypeError (ERR_INVALID_ARG_VALUE) for an inherited fd that is not a listening TCP socket
   */
  constructor(addresses: readonly ListenerSpec[], options: { backlog?: number } = {}) {
    super();
    if (!Array.isArray(addresses) || addresses.length === 0) throw invalidArgType('addresses', 'a non-empty array', addresses);
    const backlog = checkInteger('backlog', options.backlog ?? 511, 1, 65535);
    const opened: Array<{ name: string; host: string; port: number; fd: number }> = [];
    try {
      for (const [i, address] of addresses.entries()) {
        if (address !== null && typeof address === 'object' && 'handle' in address) {
          opened.push(adopt(address, i));
          continue;
        }
        if (typeof address?.host !== 'string') throw invalidArgType(`addresses[${i}].host`, 'a string', address?.host);
        checkInteger(`addresses[${i}].port`, address.port, 0, 65535);
        const fd = native.inetListen(address.host, address.port, backlog, address.ipv6Only ?? true);
        const bound = native.getsockname(fd) as { port: number };
        opened.push({ name: address.name ?? `${address.host}:${bound.port}`, host: address.host, port: bound.port, fd });
      }
    } catch (err) {
      for (const listener of opened) native.close(listener.fd);
      for (const address of addresses) if (address !== null && typeof address === 'object' && 'handle' in address && address.handle instanceof FdHandle) address.handle.close();
      throw err;
    }
    this.sockets = opened;
    for (const [index, listener] of opened.entries()) {
      const watcher = new native.FdWatcher(listener.fd, (err) => this.#onReadable(index, err));
      watcher.start(native.UV_READABLE);
      this.#watchers.push(watcher);
    }
  }

  #onReadable(index: number, err: Error | null): void {
    if (this.#closed || this.#paused) return;
    if (err) {
      this.emit('error', err);
      return;
    }
    const fd = this.sockets[index]!.fd;
    let count: number;
    try {
      count = native.acceptBatch(fd, this.#fdsOut, this.#peersOut);
    } catch (error) {
      // Out of fds (EMFILE): stop for a moment instead of spinning on a
      // listener that stays readable.
      this.pause();
      setTimeout(() => this.resume(), 100).unref();
      if (this.listenerCount('error') > 0) this.emit('error', error as Error);
      return;
    }
    if (count === 0) return;
    const batch: AcceptedConnection[] = new Array(count);
    for (let i = 0; i < count; i++) {
      batch[i] = {
        fd: this.#fdsOut[i]!,
        listener: index,
        peer: Buffer.from(this.#peersOut.subarray(i * PEER_RECORD_BYTES, (i + 1) * PEER_RECORD_BYTES)),
      };
    }
    this.emit('connections', batch);
  }

  /** Stops accepting; connections wait in the kernel's backlog. */
  pause(): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    for (const watcher of this.#watchers) watcher.stop();
  }

  resume(): void {
    if (this.#closed || !this.#paused) return;
    this.#paused = false;
    for (const watcher of this.#watchers) watcher.start(native.UV_READABLE);
  }

  /** Closes every listener. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const watcher of this.#watchers) watcher.close();
    for (const listener of this.sockets) native.close(listener.fd);
  }
}

function adopt(listener: InheritedListener, i: number): { name: string; host: string; port: number; fd: number } {
  if (!(listener.handle instanceof FdHandle)) throw invalidArgType(`addresses[${i}].handle`, 'an FdHandle', listener.handle);
  const fd = listener.handle.fd;
  if (listener.handle.kind() !== 'socket' || native.getSocketType(fd) !== native.SOCK_STREAM || native.getSocketAcceptConn(fd) !== 1) {
    throw invalidArgValue(`addresses[${i}].handle`, fd, 'is not a listening stream socket');
  }
  const bound = native.getsockname(fd);
  if (bound.family !== 'IPv4' && bound.family !== 'IPv6') throw invalidArgValue(`addresses[${i}].handle`, fd, 'is not a TCP socket');
  // The accept loop relies on a non-blocking listener; whoever made it may not have set that.
  native.setNonBlocking(fd, true);
  native.setCloexec(fd, true);
  const host = bound.address;
  const owned = listener.handle.release();
  return { name: listener.name ?? `${host}:${bound.port}`, host, port: bound.port, fd: owned };
}
