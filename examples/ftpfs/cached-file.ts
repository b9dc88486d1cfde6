// CachedFile: the local copy of one remote file, as ftpfs keeps it in its
// cache directory: how much of it has arrived, whether it holds changes not
// yet uploaded, and waiting for bytes still on their way.
import type { FdHandle } from 'privsep';
import { abortError } from './client/errors.js';

/**
 * The remote file a copy was taken from, as a listing shows it. After an
 * upload the server's time is not known to us (LIST shows minutes, our
 * clock is not the server's): `mtimeMs` is then null, and the next listing
 * from the server that shows the same size gives it. A listing entry that
 * ftpfs wrote itself (after mkdir, an upload, a touch) has `mtimeMs` null
 * too: only its size is compared.
 */
export interface RemoteVersion {
  size: number;
  mtimeMs: number | null;
}

interface Waiter {
  until: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One copy. Bytes [0, available) are in the cache file; a waiter for bytes
 * up to some offset is woken as a download brings them. Owned by FileCache.
 */
export class CachedFile {
  /** The file on the server (changes on rename). */
  remote: string;
  /** The copy in the cache directory. */
  readonly local: string;
  /**
   * The copy's descriptor while anyone has the file open (or a transfer
   * runs). Transfers use duplicates of their own, so a transfer that fails
   * and closes what it was given leaves this one open.
   */
  handle: FdHandle | null = null;
  /** Opening the copy: everyone waits for the same open. */
  opening: Promise<FdHandle> | null = null;
  /** Size of the file: what the listing said while downloading, then the copy's own. */
  size = 0;
  /** Bytes of the copy that hold the file's content (from 0). */
  available = 0;
  /** The copy holds the whole file. */
  complete = false;
  /** The last download failed; the next open tries again. */
  failure: Error | null = null;
  version: RemoteVersion | null = null;
  /** Changed here and not uploaded yet. */
  dirty = false;
  /** The file exists on the server (false: created here, not uploaded yet). */
  onServer: boolean;
  /** Deleted (or replaced) by name: open descriptors keep working, nothing is uploaded. */
  unlinked = false;
  /** Open file handles. */
  opens = 0;
  /** Modification time of the copy (ms): shown while it has local changes. */
  mtimeMs = Date.now();
  /** A time set (utimens) while changes were pending: applied after the upload. */
  pendingMtimeMs: number | null = null;
  /** Permission bits set (chmod) while changes were pending: applied after the upload. */
  pendingMode: number | null = null;
  download: { done: Promise<void>; abort: AbortController } | null = null;
  uploading: Promise<void> | null = null;
  readonly #waiters: Waiter[] = [];

  constructor(remote: string, local: string, onServer: boolean) {
    this.remote = remote;
    this.local = local;
    this.onServer = onServer;
  }

  /** True while the copy is in use: open, or a transfer running. */
  get busy(): boolean {
    return this.opens > 0 || this.download !== null || this.uploading !== null;
  }

  /**
   * Resolves once bytes up to `end` (exclusive) are in the copy, or the
   * whole file is (it may be shorter than expected).
   * @throws the download's error (a new open starts it again); AbortError
   *   when `signal` aborts (the caller was interrupted)
   */
  until(end: number, signal?: AbortSignal): Promise<void> {
    if (this.complete || this.available >= end) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(abortError(signal?.reason));
      };
      const waiter: Waiter = {
        until: end,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** A download begins (or resumes) at `available`. */
  begin(): void {
    this.failure = null;
  }

  /** The download has put the file's bytes up to `available` into the copy. */
  stored(available: number): void {
    this.available = available;
    this.#wake();
  }

  #wake(): void {
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i]!;
      if (waiter.until <= this.available) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      } else {
        i++;
      }
    }
  }

  /** The download ended: the copy is complete, or `err` says why not. */
  settle(err: Error | null): void {
    if (err) this.failure = err;
    else {
      this.complete = true;
      this.failure = null;
      this.size = this.available;
    }
    for (const waiter of this.#waiters.splice(0)) {
      if (err) waiter.reject(err);
      else waiter.resolve();
    }
  }

  /** Held byte ranges, sorted, disjoint: what the copy holds of the file. */
  heldRanges(): Array<[number, number]> {
    if (this.complete) return this.size > 0 ? [[0, this.size]] : [];
    return this.available > 0 ? [[0, this.available]] : [];
  }

  /** Restores the state saved by heldRanges(): the file's size and which bytes the copy holds. */
  restore(size: number, ranges: Array<[number, number]>): void {
    this.size = size;
    // A prefix is all this copy can use: bytes after a gap are fetched again.
    const prefix = ranges[0] !== undefined && ranges[0][0] === 0 ? Math.min(ranges[0][1], size) : 0;
    if (prefix === size) this.setContent(size);
    else this.available = prefix;
  }

  /** The copy now holds exactly `size` bytes of content, all of it local. */
  setContent(size: number): void {
    this.available = size;
    this.settle(null);
  }
}
