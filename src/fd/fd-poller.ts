// FdPoller: readiness of a raw fd (readable/writable) from the event loop,
// for code that drives a non-blocking fd itself with readNonBlocking /
// writeNonBlocking; and waitForFd, the one-shot promise form.
import { native, type NativeFdWatcher } from '../native.js';
import { checkFd, errnoError, invalidArgType } from '../errors.js';
import { FdHandle } from './fd-handle.js';

export type PollEvents = 'readable' | 'writable' | 'both';

export interface Readiness {
  readable: boolean;
  writable: boolean;
}

function eventMask(events: PollEvents): number {
  switch (events) {
    case 'readable': return native.UV_READABLE;
    case 'writable': return native.UV_WRITABLE;
    case 'both': return native.UV_READABLE | native.UV_WRITABLE;
    default: throw invalidArgType('events', "one of 'readable', 'writable', 'both'", events);
  }
}

export class FdPoller {
  readonly #fd: number;
  readonly #onReady: (err: Error | null, ready: Readiness) => void;
  #watcher: NativeFdWatcher | null;
  #mask = 0;

  /**
   * Watches `fd` (which stays owned by the caller: close the poller before
   * closing the fd). `onReady` runs on every readiness while started; the
   * watch is level-triggered, so an fd left readable reports again on the
   * next loop turn. Readiness can be spurious: the I/O call decides.
   * An error condition on the fd (POLLERR) is reported as readiness for the
   * watched events, so that the next read or write returns the real error.
   * @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE for a bad fd; EBADF, EPERM (a regular file) from uv_poll_init
   */
  constructor(fd: number | FdHandle, onReady: (err: Error | null, ready: Readiness) => void) {
    this.#fd = fd instanceof FdHandle ? fd.fd : checkFd('fd', fd);
    if (typeof onReady !== 'function') throw invalidArgType('onReady', 'of type function', onReady);
    this.#onReady = onReady;
    this.#watcher = new native.FdWatcher(this.#fd, (err, events) => this.#dispatch(err, events));
  }

  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#watcher === null;
  }

  /** Starts (or changes) the watch. @throws EBADF once closed; ERR_INVALID_ARG_TYPE for unknown events */
  start(events: PollEvents = 'readable'): this {
    const mask = eventMask(events);
    if (!this.#watcher) throw errnoError(-9, 'uv_poll_start');
    this.#watcher.start(mask);
    this.#mask = mask;
    return this;
  }

  /** Stops reporting until start() is called again. */
  stop(): this {
    this.#watcher?.stop();
    this.#mask = 0;
    return this;
  }

  /** Whether an active watch keeps the process alive (default: it does). */
  ref(): this {
    this.#watcher?.setRef(true);
    return this;
  }

  unref(): this {
    this.#watcher?.setRef(false);
    return this;
  }

  /** Stops for good; the fd stays open. A second call does nothing. */
  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
    this.#mask = 0;
  }

  #dispatch(err: Error | null, events: number): void {
    if (err && (err as Error & { syscall?: string }).syscall === 'uv_poll' && (err as Error & { code?: string }).code === 'EBADF' && this.#watcher && this.#mask) {
      // libuv reports POLLERR as EBADF and stops the handle; the fd itself
      // is fine, so keep watching and let the next I/O call surface the error.
      this.#watcher.start(this.#mask);
      err = null;
      events = this.#mask;
    }
    this.#onReady(err, { readable: (events & native.UV_READABLE) !== 0, writable: (events & native.UV_WRITABLE) !== 0 });
  }
}

/**
 * Resolves once `fd` is ready for `events`.
 * @throws AbortError (ABORT_ERR) when `signal` aborts; ETIMEDOUT after `timeoutMs`; the errors of FdPoller
 */
export function waitForFd(fd: number | FdHandle, events: PollEvents = 'readable', options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Readiness> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, ready?: Readiness): void => {
      poller.close();
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(ready!);
    };
    const onAbort = (): void => finish(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
    const poller = new FdPoller(fd, finish);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => finish(Object.assign(new Error('ETIMEDOUT: connection timed out, poll'), { code: 'ETIMEDOUT', errno: -110, syscall: 'poll' })), options.timeoutMs);
    }
    poller.start(events);
  });
}
