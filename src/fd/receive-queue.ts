// ReceiveQueue: the receive side of a socket that reads whole items (a
// Channel's messages, a DatagramSocket's datagrams): the items read and not
// yet taken, the callers waiting in receive(), 'message' listeners, and the
// end once the socket is closed. Its owner reads from the kernel and hands
// each item here, in order.
import type { EventEmitter } from 'node:events';
import { ChannelClosedError } from '../errors.js';
import type { FdHandle } from './fd-handle.js';

type Entry<T> = { item: T } | { error: Error };

interface Waiter<T> {
  resolve: (item: T) => void;
  reject: (err: Error) => void;
}

export interface ReceiveQueueOptions {
  /** Items held for `receive()` before the owner stops reading (`full`). */
  highWaterMark: number;
  /** The message of the ERR_PRIVSEP_CHANNEL_CLOSED that `receive()` rejects with once ended. */
  endMessage: string;
  /** Runs when `receive()` takes a queued item, so that the owner may read again. */
  onTake: () => void;
}

/** @internal */
export class ReceiveQueue<T extends { fds: FdHandle[] }> {
  readonly #owner: EventEmitter;
  readonly #highWaterMark: number;
  readonly #endMessage: string;
  readonly #onTake: () => void;
  readonly #entries: Entry<T>[] = [];
  readonly #waiters: Waiter<T>[] = [];
  #ended = false;
  #closeError: Error | null = null;

  /** `owner` emits 'message' (and 'error' for an item that could not be received) when it has listeners. */
  constructor(owner: EventEmitter, options: ReceiveQueueOptions) {
    this.#owner = owner;
    this.#highWaterMark = options.highWaterMark;
    this.#endMessage = options.endMessage;
    this.#onTake = options.onTake;
  }

  /** Whether as many items are held as the high-water mark allows: the owner stops reading. */
  get full(): boolean {
    return this.#entries.length >= this.#highWaterMark;
  }

  /** The error the socket was closed with, once ended (null for a clean close). */
  get closeError(): Error | null {
    return this.#closeError;
  }

  receive(): Promise<T> {
    const entry = this.#entries.shift();
    if (entry !== undefined) {
      this.#onTake();
      return 'error' in entry ? Promise.reject(entry.error) : Promise.resolve(entry.item);
    }
    if (this.#ended) return Promise.reject(this.#endError());
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Yields items until the end; throws the close error, or the error of an item that could not be received. */
  async *iterate(): AsyncGenerator<T, void, undefined> {
    for (;;) {
      if (this.#ended && this.#entries.length === 0) {
        if (this.#closeError) throw this.#closeError;
        return;
      }
      try {
        yield await this.receive();
      } catch (err) {
        if (err instanceof ChannelClosedError && !this.#closeError) return;
        throw err;
      }
    }
  }

  /** A received item: to the first waiter, else to 'message' listeners, else queued. */
  deliver(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item);
    else if (this.#owner.listenerCount('message') > 0) this.#owner.emit('message', item);
    else this.#entries.push({ item });
  }

  /**
   * An item that could not be received, in its place in the order: the
   * first waiter rejects with `err`; with 'message' listeners it is emitted
   * as 'error' (dropped when nothing listens for that); else queued.
   */
  deliverError(err: Error): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.reject(err);
    else if (this.#owner.listenerCount('message') > 0) {
      if (this.#owner.listenerCount('error') > 0) this.#owner.emit('error', err);
    } else this.#entries.push({ error: err });
  }

  /** No more items will come: waiters reject; what is queued can still be received. */
  end(err: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closeError = err;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#endError());
  }

  /** Drops the queued items, closing their fds. */
  drop(): void {
    for (const entry of this.#entries.splice(0)) {
      if ('item' in entry) for (const fd of entry.item.fds) fd.close();
    }
  }

  #endError(): Error {
    return new ChannelClosedError(this.#endMessage, { cause: this.#closeError ?? undefined });
  }
}
