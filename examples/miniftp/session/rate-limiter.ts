// The per-session bandwidth limit (download_max_rate, upload_max_rate): a
// token bucket that transfers ask before moving each chunk. Runs in a worker.
import { abortError, outOfRange } from 'privsep';

/** Options of a {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Bytes that may go at once after a pause. Default: a tenth of a second's worth, 1 KiB..1 MiB. */
  burst?: number;
  /** The clock, in milliseconds. Default performance.now. */
  now?: () => number;
}

/**
 * A token bucket: tokens (bytes) accrue at `bytesPerSecond` up to `burst`;
 * a transfer takes tokens before it moves bytes, and waits when there are
 * not enough. `waits` counts those waits, so that a test can see that the
 * limit held a transfer back without measuring time.
 */
export class RateLimiter {
  readonly bytesPerSecond: number;
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  #waits = 0;

  /**
   * @param bytesPerSecond the rate, > 0
   * @throws RangeError (ERR_OUT_OF_RANGE) for a rate or burst that is not a positive number
   */
  constructor(bytesPerSecond: number, options: RateLimiterOptions = {}) {
    if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) {
      throw outOfRange('bytesPerSecond', '> 0', bytesPerSecond);
    }
    const burst = options.burst ?? Math.min(1 << 20, Math.max(1024, Math.floor(bytesPerSecond / 10)));
    if (!(burst >= 1) || !Number.isFinite(burst)) {
      throw outOfRange('burst', '>= 1', burst);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.burst = Math.floor(burst);
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.burst;
    this.#last = this.#now();
  }

  /** How many times a transfer had to wait for tokens. */
  get waits(): number {
    return this.#waits;
  }

  /**
   * Asks to move up to `wanted` bytes; gives how many may go now (at least
   * 1, at most `burst`), at once when the bucket holds them, else after a
   * wait.
   * @throws AbortError (ABORT_ERR) when `signal` aborts during a wait
   */
  take(wanted: number, signal?: AbortSignal): number | Promise<number> {
    const want = Math.max(1, Math.min(Math.floor(wanted), this.burst));
    this.#refill();
    if (this.#tokens >= want) {
      this.#tokens -= want;
      return want;
    }
    if (signal?.aborted) return Promise.reject(abortError());
    this.#waits++;
    const delay = Math.ceil(((want - this.#tokens) / this.bytesPerSecond) * 1000);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        this.#refill();
        // The debt is kept (tokens may go below zero), so the long-run rate holds.
        this.#tokens -= want;
        resolve(want);
      }, delay);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond);
    this.#last = now;
  }
}
