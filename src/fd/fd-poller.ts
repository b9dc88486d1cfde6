// FdPoller: readiness of a raw fd (readable/writable) from the event loop,
// for code that drives a non-blocking fd itself with readNonBlocking /
// writeNonBlocking; and waitForFd, the one-shot promise form.
import { native, type NativeFdWatcher } from '../native.js';
import { abortError, checkFd, errnoError, invalidArgType } from '../errors.js';
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
    if (!this.#watcher) throw errnoError('EBADF', 'uv_poll_start');
    this.#watcher.start(mask);
    return this;
  }

  /** Stops reporting until start() is called again. */
  stop(): this {
    this.#watcher?.stop();
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
  }

  // POLLERR comes here as readiness for the watched events (the addon
  // reports it so), and the next I/O call returns the real error.
  #dispatch(err: Error | null, events: number): void {
    this.#onReady(err, { readable: (events & native.UV_READABLE) !== 0, writable: (events & native.UV_WRITABLE) !== 0 });
  }
}

export interface WhenReadyOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The syscall an ETIMEDOUT error names (default 'poll'). */
  syscall?: string;
}

/**
 * Calls `attempt` now, and again at each readiness of `fd` for `events`,
 * until it returns something other than undefined; resolves with that. An
 * error `attempt` throws rejects.
 * @throws AbortError (ABORT_ERR) when `signal` aborts; ETIMEDOUT after `timeoutMs`; the errors of FdPoller
 */
export function whenReady<T>(fd: number | FdHandle, events: PollEvents, attempt: (ready: Readiness | null) => T | undefined, options: WhenReadyOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let poller: FdPoller | null = null;
    const finish = (err: Error | null, value?: T): void => {
      poller?.close();
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value as T);
    };
    const onAbort = (): void => finish(abortError());
    const check = (ready: Readiness | null): boolean => {
      try {
        const value = attempt(ready);
        if (value === undefined) return false;
        finish(null, value);
      } catch (err) {
        finish(err as Error);
      }
      return true;
    };
    if (options.signal?.aborted) return onAbort();
    if (check(null)) return;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      const syscall = options.syscall ?? 'poll';
      timer = setTimeout(() => finish(errnoError('ETIMEDOUT', syscall)), options.timeoutMs);
    }
    poller = new FdPoller(fd, (err, ready) => (err ? finish(err) : check(ready)));
    poller.start(events);
  });
}

/**
 * Resolves once `fd` is ready for `events`.
 * @throws AbortError (ABORT_ERR) when `signal` aborts; ETIMEDOUT after `timeoutMs`; the errors of FdPoller
 */
export function waitForFd(fd: number | FdHandle, events: PollEvents = 'readable', options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Readiness> {
  return whenReady(fd, events, (ready) => ready ?? undefined, options);
}
