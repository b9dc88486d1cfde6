// Unix-domain listeners and connections, by filesystem path or by abstract
// name (a name starting with "\0", as in Node), yielding Channels.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { native, type NativeFdWatcher } from '../native.js';
import { errnoError, invalidArgType } from '../errors.js';
import { Channel, type ChannelOptions } from './channel.js';
import { type UnixSocketType, socketTypeOf } from './socketpair.js';

export interface UnixAddressOptions {
  type?: UnixSocketType;
}

/** @internal */
export interface ParsedAddress {
  path: Buffer;
  abstract: boolean;
}

/** @internal a path, or an abstract name starting with "\0". */
export function parseAddress(address: string): ParsedAddress {
  if (typeof address !== 'string' || address.length === 0) {
    throw invalidArgType('address', 'a non-empty path, or an abstract name starting with "\\0"', address);
  }
  const abstract = address.startsWith('\0');
  return { path: Buffer.from(abstract ? address.slice(1) : address), abstract };
}

export declare interface UnixServer {
  on(event: 'connection', listener: (channel: Channel) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: () => void): this;
}

/** A listening unix socket; every accepted connection becomes a Channel. */
export class UnixServer extends EventEmitter {
  readonly address: string;
  readonly #fd: number;
  readonly #watcher: NativeFdWatcher;
  readonly #unlinkOnClose: boolean;
  readonly #channelOptions: ChannelOptions;
  #closed = false;

  /** @internal use listenUnix() */
  constructor(fd: number, address: string, unlinkOnClose: boolean, channelOptions: ChannelOptions) {
    super();
    this.#fd = fd;
    this.address = address;
    this.#unlinkOnClose = unlinkOnClose;
    this.#channelOptions = channelOptions;
    this.#watcher = new native.FdWatcher(fd, (err) => this.#onReadable(err));
    this.#watcher.start(native.UV_READABLE);
  }

  #onReadable(err: Error | null): void {
    if (this.#closed) return;
    if (err) {
      this.emit('error', err);
      return;
    }
    for (let i = 0; i < 64 && !this.#closed; i++) {
      let fd: number;
      try {
        fd = native.accept(this.#fd);
      } catch (error) {
        // EMFILE and the like: report, and try again on the next readiness.
        if (this.listenerCount('error') > 0) this.emit('error', error as Error);
        return;
      }
      if (fd < 0) return;
      this.emit('connection', Channel.fromFd(fd, this.#channelOptions));
    }
  }

  ref(): this {
    this.#watcher.setRef(true);
    return this;
  }

  unref(): this {
    this.#watcher.setRef(false);
    return this;
  }

  /** Stops listening; a socket file it created is removed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher.close();
    native.close(this.#fd);
    if (this.#unlinkOnClose) fs.rmSync(this.address, { force: true });
    process.nextTick(() => this.emit('close'));
  }
}

/**
 * Listens on a unix socket at a path or abstract name.
 * @throws EADDRINUSE, EACCES, ENAMETOOLONG and other bind/listen errors
 */
export function listenUnix(address: string, options: UnixAddressOptions & ChannelOptions & { backlog?: number } = {}): UnixServer {
  const { path, abstract } = parseAddress(address);
  const fd = native.unixSocket(socketTypeOf(options.type ?? 'stream'));
  try {
    native.bindUnix(fd, path, abstract);
    native.listen(fd, options.backlog ?? 511);
  } catch (err) {
    native.close(fd);
    throw err;
  }
  return new UnixServer(fd, address, !abstract, options);
}

/**
 * Connects to a unix socket. A full backlog (EAGAIN) is retried with a
 * growing pause until `timeoutMs` (default 5000) has passed.
 * @throws ENOENT, ECONNREFUSED, EACCES, EAGAIN (timed out)
 */
export async function connectUnix(address: string, options: UnixAddressOptions & ChannelOptions & { timeoutMs?: number } = {}): Promise<Channel> {
  const { path, abstract } = parseAddress(address);
  const fd = native.unixSocket(socketTypeOf(options.type ?? 'stream'));
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  try {
    for (let pause = 1; !native.connectUnix(fd, path, abstract); pause = Math.min(pause * 2, 100)) {
      if (Date.now() >= deadline) {
        throw errnoError('EAGAIN', 'connect', { path: address });
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  } catch (err) {
    native.close(fd);
    throw err;
  }
  return Channel.fromFd(fd, options);
}
