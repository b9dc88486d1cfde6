// The loop shared by sendFile and receiveFile: wait for a socket's readiness
// (the watcher stays armed between waits, since starting and stopping it
// around each would cost two epoll_ctl calls, except while a pacer holds the
// transfer back, when readiness would fire in a loop), honour an abort
// signal, and let the event loop run every so often.
import { native, type NativeFdWatcher } from '../native.js';
import { abortError } from '../errors.js';

/** The options both transfers take. */
export interface PumpOptions {
  /**
   * Called before each chunk with its planned size; resolves to how many
   * bytes may move now (a rate limiter waits here). Default: all of them.
   */
  pace?: (wanted: number) => number | Promise<number>;
  /** Aborts the transfer: it rejects with an AbortError and moves nothing more. */
  signal?: AbortSignal;
  /** Called after every chunk with the total so far. */
  onProgress?: (moved: number) => void;
}

// A fast peer could keep the loop busy for a whole file: let the event loop
// (other sessions of the same process) run after this many bytes.
const YIELD_EVERY = 16 << 20;

export class TransferPump {
  readonly #fd: number;
  readonly #events: number;
  readonly #options: PumpOptions;
  #watcher: NativeFdWatcher | null = null;
  #armed = false;
  #wake: (() => void) | null = null;
  #failure: Error | null = null;
  #sinceYield = 0;
  #moved = 0;
  readonly #onAbort = (): void => {
    this.#failure ??= abortError();
    this.#wake?.();
  };

  /** Watches `fd` for `events` (UV_READABLE or UV_WRITABLE); the fd becomes non-blocking. */
  constructor(fd: number, events: number, options: PumpOptions) {
    this.#fd = fd;
    this.#events = events;
    this.#options = options;
    native.setNonBlocking(fd, true);
    if (options.signal?.aborted) this.#failure = abortError();
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Bytes moved so far. */
  get moved(): number {
    return this.#moved;
  }

  /** How many bytes the next chunk may move, at most `wanted`; throws when aborted. */
  async allowance(wanted: number): Promise<number> {
    this.#check();
    if (!this.#options.pace) return wanted;
    if (this.#armed) {
      this.#watcher!.stop();
      this.#armed = false;
    }
    const granted = Math.max(1, Math.min(wanted, await this.#options.pace(wanted)));
    this.#check();
    return granted;
  }

  /** Waits until the fd is ready again; throws when aborted or the fd fails. */
  async ready(): Promise<void> {
    this.#watcher ??= new native.FdWatcher(this.#fd, (err) => {
      if (err) this.#failure ??= err;
      this.#wake?.();
    });
    if (!this.#armed) {
      this.#watcher.start(this.#events);
      this.#armed = true;
    }
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    this.#wake = null;
    this.#check();
  }

  /** Counts `n` bytes moved, reports progress, and now and then yields to the event loop. */
  async advance(n: number): Promise<void> {
    this.#moved += n;
    this.#options.onProgress?.(this.#moved);
    this.#sinceYield += n;
    if (this.#sinceYield >= YIELD_EVERY) {
      this.#sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
      this.#check();
    }
  }

  close(): void {
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#watcher?.close();
    this.#watcher = null;
  }

  #check(): void {
    if (this.#failure) throw this.#failure;
  }
}
