// One transfer in progress: how it can be stopped (ABOR, the data
// connection timeout, the session closing), its progress, and the rate
// limit it runs under. Runs in a worker.
import type { RateLimiter } from './rate-limiter.js';

/** What a transfer moves: a file down, a file up, or a directory listing down. */
export type TransferDirection = 'download' | 'upload' | 'listing';

/** Why a transfer was stopped before it finished. */
export type StopReason = 'abor' | 'timeout' | 'closed';

/** A transfer, from its data connection's setup to its last reply. */
export class Transfer {
  readonly direction: TransferDirection;
  /** The file or directory, in the session's view. */
  readonly path: string;
  readonly limiter: RateLimiter | null;
  readonly startedAt = performance.now();
  #bytes = 0;
  readonly #controller = new AbortController();
  #stopReason: StopReason | null = null;
  #watchdog: NodeJS.Timeout | null = null;

  constructor(direction: TransferDirection, path: string, limiter: RateLimiter | null) {
    this.direction = direction;
    this.path = path;
    this.limiter = limiter;
  }

  /** Aborts when the transfer is stopped. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why it was stopped, or null. */
  get stopReason(): StopReason | null {
    return this.#stopReason;
  }

  /** Bytes moved so far (file bytes for transfers, listing bytes for listings). */
  get bytes(): number {
    return this.#bytes;
  }

  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** Stops the transfer; the first reason given is the one that counts. */
  stop(reason: StopReason): void {
    if (this.#stopReason) return;
    this.#stopReason = reason;
    this.#clearWatchdog();
    this.#controller.abort();
  }

  /** Stops the transfer with 'timeout' after `seconds` without progress (0: never). */
  watch(seconds: number): void {
    if (seconds <= 0 || this.#stopReason) return;
    this.#watchdog = setTimeout(() => this.stop('timeout'), seconds * 1000);
  }

  /** Records progress: `total` bytes so far; restarts the no-progress clock. */
  progress(total: number): void {
    this.#bytes = total;
    this.#watchdog?.refresh();
  }

  /** Restarts the no-progress clock: bytes moved that are not counted yet (arrived, or let through by the rate limit). */
  touch(): void {
    this.#watchdog?.refresh();
  }

  /** Clears the timer; the transfer is over. */
  dispose(): void {
    this.#clearWatchdog();
  }

  #clearWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = null;
  }
}
