// UploadQueue: files whose upload failed stay dirty and are tried again,
// after 1 s, then twice as long each time up to a minute, until they are on
// the server; a new write or close starts the wait over. Every failure is
// told once per change of reason, not once per attempt.
import type { CachedFile } from './cached-file.js';

/** Wait before the first retry of a failed upload. */
export const FIRST_RETRY_MS = 1000;
/** The longest wait between two tries. */
export const MAX_RETRY_MS = 60_000;
/** How often an unmount that waits for uploads looks whether they are done. */
const DRAIN_POLL_MS = 100;

interface Retry {
  /** The wait after the next failure. */
  nextDelayMs: number;
  timer: NodeJS.Timeout | null;
  nextAt: number | null;
  /** The last failure's reason (an earlier mount's, until this one tries). */
  error: string | null;
  /** The reason last told on stderr by this mount. */
  reported: string | null;
  /** The user was told the file is not on the server: they are told when it is. */
  told: boolean;
}

/** A failed upload's state, for the index and the user.ftpfs.upload attribute. */
export interface UploadFailure {
  error: string;
  nextAt: number | null;
}

export interface UploadQueueOptions {
  /** Uploads the file (STOR and what follows it); rejects when it failed. */
  send: (file: CachedFile) => Promise<void>;
  report: (message: string) => void;
  /** The failure state of a file changed: the index should record it. */
  changed: (file: CachedFile) => void;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class UploadQueue {
  readonly #options: UploadQueueOptions;
  readonly #retries = new Map<CachedFile, Retry>();
  /** Uploads this queue has running. */
  readonly #running = new Map<CachedFile, Promise<void>>();
  #stopped = false;

  constructor(options: UploadQueueOptions) {
    this.#options = options;
  }

  /** The last failure of a file not on the server yet. */
  failure(file: CachedFile): UploadFailure | undefined {
    const retry = this.#retries.get(file);
    return retry?.error ? { error: retry.error, nextAt: retry.nextAt } : undefined;
  }

  /**
   * Uploads the file now (close, fsync, a retry): on failure it stays dirty,
   * a retry is scheduled, and the error is thrown for the caller to answer.
   */
  async run(file: CachedFile): Promise<void> {
    const retry = this.#retries.get(file);
    if (retry?.timer) clearTimeout(retry.timer);
    if (retry) retry.timer = null;
    const running = this.#options.send(file);
    this.#running.set(file, running);
    try {
      await running;
    } catch (err) {
      this.#failed(file, err);
      throw err;
    } finally {
      if (this.#running.get(file) === running) this.#running.delete(file);
    }
    this.#succeeded(file);
  }

  /** A write or a close: the next retry comes after the first wait again. */
  reset(file: CachedFile): void {
    const retry = this.#retries.get(file);
    if (!retry) return;
    retry.nextDelayMs = FIRST_RETRY_MS;
    if (retry.timer) this.#schedule(file, retry, FIRST_RETRY_MS);
  }

  /**
   * A file left dirty by an earlier mount, which the user was told of:
   * tried at `at` (now when null), with the failure it had.
   */
  resume(file: CachedFile, at: number | null, error: string | null): void {
    const retry = this.#retryOf(file);
    retry.error = error;
    retry.told = true;
    this.#schedule(file, retry, Math.max(0, (at ?? 0) - Date.now()));
  }

  /** The file was deleted: nothing to upload any more. */
  forget(file: CachedFile): void {
    const retry = this.#retries.get(file);
    if (retry?.timer) clearTimeout(retry.timer);
    this.#retries.delete(file);
  }

  #retryOf(file: CachedFile): Retry {
    let retry = this.#retries.get(file);
    if (!retry) {
      retry = { nextDelayMs: FIRST_RETRY_MS, timer: null, nextAt: null, error: null, reported: null, told: false };
      this.#retries.set(file, retry);
    }
    return retry;
  }

  #failed(file: CachedFile, err: unknown): void {
    const retry = this.#retryOf(file);
    const message = reason(err);
    const delay = retry.nextDelayMs;
    retry.nextDelayMs = Math.min(delay * 2, MAX_RETRY_MS);
    if (retry.reported !== message) {
      this.#options.report(`${file.remote} is not on the server yet: upload failed (${message}); the copy is kept and the upload retried`);
    }
    retry.error = message;
    retry.reported = message;
    retry.told = true;
    this.#schedule(file, retry, delay);
    this.#options.changed(file);
  }

  #succeeded(file: CachedFile): void {
    const retry = this.#retries.get(file);
    if (!retry) return;
    if (retry.timer) clearTimeout(retry.timer);
    this.#retries.delete(file);
    if (retry.told && !file.dirty) this.#options.report(`${file.remote} is on the server now`);
  }

  #schedule(file: CachedFile, retry: Retry, delayMs: number): void {
    if (retry.timer) clearTimeout(retry.timer);
    retry.timer = null;
    retry.nextAt = Date.now() + delayMs;
    if (this.#stopped) return;
    // Retries never keep the process alive: unmount waits for them itself (drain).
    retry.timer = setTimeout(() => this.#retry(file, retry), delayMs).unref();
  }

  #retry(file: CachedFile, retry: Retry): void {
    retry.timer = null;
    if (file.unlinked || (!file.dirty && !file.uploading)) {
      this.#succeeded(file);
      return;
    }
    // The error is recorded and reported by run().
    this.run(file).catch(() => {});
  }

  /**
   * At unmount: tries every file in `pending()` once more now, then lets
   * retries go on until none is pending or `waitMs` has passed; stops all
   * retries after.
   * @returns the files still not on the server, with their last failure
   */
  async drain(pending: () => CachedFile[], waitMs: number): Promise<CachedFile[]> {
    const deadline = Date.now() + waitMs;
    for (const file of pending()) {
      if (!this.#running.has(file)) this.run(file).catch(() => {});
    }
    while (pending().length > 0 && Date.now() < deadline) await sleep(Math.min(DRAIN_POLL_MS, deadline - Date.now()));
    this.stop();
    return pending();
  }

  /** No more retries. */
  stop(): void {
    this.#stopped = true;
    for (const retry of this.#retries.values()) {
      if (retry.timer) clearTimeout(retry.timer);
      retry.timer = null;
    }
  }
}
