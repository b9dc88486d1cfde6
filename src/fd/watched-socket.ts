// WatchedSocket: what Channel and DatagramSocket share. A non-blocking unix
// socket fd it owns, watched on the event loop for what it waits for now
// (room for more received items, the peer taking what is queued to send),
// the received items waiting in a ReceiveQueue, and one way to end: the
// watcher and the fd closed, the subclass's own state let go, receivers told.
import { EventEmitter } from 'node:events';
import { native, type NativeFdWatcher } from '../native.js';
import type { FdHandle } from './fd-handle.js';
import { ReceiveQueue, type ReceiveQueueOptions } from './receive-queue.js';

export abstract class WatchedSocket<T extends { fds: FdHandle[] }> extends EventEmitter {
  readonly #fd: number;
  readonly #watcher: NativeFdWatcher;
  #watching = 0;
  #destroyed = false;
  protected readonly received: ReceiveQueue<T>;

  /** Takes `fd`, made non-blocking already; the subclass calls updateWatch() once it is ready to read. */
  protected constructor(fd: number, queue: Omit<ReceiveQueueOptions, 'onTake'>) {
    super();
    this.#fd = fd;
    this.received = new ReceiveQueue(this, { ...queue, onTake: () => this.updateWatch() });
    this.#watcher = new native.FdWatcher(fd, (err, events) => this.#onPoll(err, events));
  }

  /** The socket's fd number, while open. */
  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#destroyed;
  }

  /**
   * The next item (message, datagram). Once the socket is closed, resolves
   * those still queued, then rejects; an item that could not be received
   * whole rejects on its own (the socket stays open).
   * @throws ERR_PRIVSEP_CHANNEL_CLOSED when no item will come (cause: the
   *   close error, if any); a DatagramSocket's EMSGSIZE,
   *   ERR_PRIVSEP_FDS_TRUNCATED for that one datagram
   */
  receive(): Promise<T> {
    return this.received.receive();
  }

  /** Yields items until the socket is closed; throws the error of an item that could not be received whole. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return this.received.iterate();
  }

  /** Whether an open socket keeps the event loop alive (it does by default). */
  ref(): this {
    if (!this.#destroyed) this.#watcher.setRef(true);
    return this;
  }

  unref(): this {
    if (!this.#destroyed) this.#watcher.setRef(false);
    return this;
  }

  /**
   * Closes the socket at once (a DatagramSocket from createDatagramSocket
   * also removes the path it was bound to). Unsent items reject; queued
   * received ones are dropped and their fds closed.
   */
  close(): void {
    this.received.drop();
    this.destroy(null);
  }

  /** True while the socket waits for its peer to take what is queued to send. */
  protected abstract wantsWritable(): boolean;

  /** The socket can take more to send. */
  protected abstract onWritable(): void;

  /** The socket has something to read (and the queue has room). */
  protected abstract onReadable(): void;

  /**
   * Lets go of the subclass's own state as the socket ends with `err`
   * (null: closed cleanly), after the fd is closed and before receivers are
   * told: unsent items reject.
   */
  protected abstract released(err: Error | null): void;

  /** Watches the fd for what the socket waits for now. */
  protected updateWatch(): void {
    if (this.#destroyed) return;
    const events = (this.received.full ? 0 : native.UV_READABLE) | (this.wantsWritable() ? native.UV_WRITABLE : 0);
    if (events === this.#watching) return;
    this.#watching = events;
    this.#watcher.start(events);
  }

  // Closed here, or the peer is done (EOF), or the socket broke: no more
  // items will come, but those already queued can still be received.
  protected destroy(err: Error | null): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#watcher.close();
    native.close(this.#fd);
    this.released(err);
    this.received.end(err);
    process.nextTick(() => {
      if (err && this.listenerCount('error') > 0) this.emit('error', err);
      this.emit('close', err !== null);
    });
  }

  #onPoll(err: Error | null, events: number): void {
    if (this.#destroyed) return;
    // POLLERR (a peer that closed with data unread, say) comes as readiness
    // (see native/poll.cc), so a read reports the socket's own error after
    // what arrived before it; an error here is the watcher's own.
    if (err) {
      this.destroy(err);
      return;
    }
    if ((events & native.UV_WRITABLE) !== 0) this.onWritable();
    if ((events & native.UV_READABLE) !== 0 && !this.#destroyed) this.onReadable();
  }
}
