// CachedFile: the local copy of one remote file, as ftpfs keeps it in its
// cache directory: which byte ranges of it have arrived, whether it holds
// changes not yet uploaded, and waiting for bytes still on their way.
import type { FdHandle } from 'privsep';
import { abortError } from './client/errors.js';
import type { Downloader } from './downloader.js';
import { RangeMap } from './range-map.js';

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
  start: number;
  end: number;
  /** The download that is to bring the bytes: its failure is this waiter's. */
  by: Downloader | null;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One copy, sparse: the cache file holds the byte ranges listed in a
 * RangeMap (downloads at different offsets fill it in any order); a waiter
 * for a range is woken as downloads bring it. Owned by FileCache.
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
  /** Size of the file: what the listing said, until a download reaches the end or the copy is changed here. */
  size = 0;
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
  /** Downloads running into the copy, each from its own offset. */
  readonly downloaders: Downloader[] = [];
  uploading: Promise<void> | null = null;
  readonly #held = new RangeMap();
  readonly #waiters: Waiter[] = [];

  constructor(remote: string, local: string, onServer: boolean) {
    this.remote = remote;
    this.local = local;
    this.onServer = onServer;
  }

  /** True while the copy is in use: open, or a transfer running. */
  get busy(): boolean {
    return this.opens > 0 || this.downloaders.length > 0 || this.uploading !== null;
  }

  /** The copy holds the whole file. */
  get complete(): boolean {
    return this.#held.covers(0, this.size);
  }

  /** Bytes of the file the copy holds. */
  get heldBytes(): number {
    return this.#held.bytes;
  }

  /** Held byte ranges, sorted, disjoint: what the copy holds of the file. */
  heldRanges(): Array<[number, number]> {
    return this.#held.list();
  }

  /**
   * Restores the state saved by heldRanges(): the file's size and which
   * bytes the copy holds (complete when the ranges cover [0, size)).
   * @throws RangeError (ERR_OUT_OF_RANGE) for a range that is backwards or negative
   */
  restore(size: number, ranges: Array<[number, number]>): void {
    this.#held.clear();
    for (const [start, end] of ranges) this.#held.add(start, end);
    this.#held.truncate(size);
    this.size = size;
    this.#wake();
  }

  /** True when the copy holds [start, end), or what of it lies within the file. */
  covers(start: number, end: number): boolean {
    return this.#held.covers(start, Math.min(end, this.size));
  }

  /** True when the copy holds the byte at `offset` (within the file or not). */
  holds(offset: number): boolean {
    return this.#held.covers(offset, offset + 1);
  }

  /** The first range of [start, end) (within the file) the copy lacks, or null. */
  firstGap(start: number, end: number): [number, number] | null {
    return this.#held.firstGap(start, Math.min(end, this.size));
  }

  /**
   * Resolves once the copy holds [start, end) (or what of it lies within
   * the file), or when `by` ended without bringing it (stopped, or the end
   * of the file came first): the caller looks again.
   * @throws the error of `by` when it failed; AbortError when `signal`
   *   aborts (the caller was interrupted)
   */
  until(start: number, end: number, by: Downloader | null, signal?: AbortSignal): Promise<void> {
    if (this.covers(start, end)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(abortError(signal?.reason));
      };
      const waiter: Waiter = {
        start,
        end,
        by,
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

  /** True while a read waits for `by`. */
  serves(by: Downloader): boolean {
    return this.#waiters.some((waiter) => waiter.by === by);
  }

  /** A download has put the file's bytes [start, end) into the copy. */
  stored(start: number, end: number): void {
    this.#held.add(start, end);
    this.#wake();
  }

  /** A download found the end of the file at `size`. */
  reachedEnd(size: number): void {
    this.size = size;
    this.#held.truncate(size);
    this.#wake();
  }

  /** `by` ended: its waiters fail with `err`, or (stopped, at the end of the file) look again. */
  ended(by: Downloader, err: Error | null): void {
    const i = this.downloaders.indexOf(by);
    if (i !== -1) this.downloaders.splice(i, 1);
    for (let j = 0; j < this.#waiters.length;) {
      const waiter = this.#waiters[j]!;
      if (waiter.by !== by) {
        j++;
        continue;
      }
      this.#waiters.splice(j, 1);
      if (err && !this.covers(waiter.start, waiter.end)) waiter.reject(err);
      else waiter.resolve();
    }
  }

  #wake(): void {
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i]!;
      if (this.covers(waiter.start, waiter.end)) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      } else {
        i++;
      }
    }
  }

  /** The copy now holds exactly `size` bytes of content, all of it local. */
  setContent(size: number): void {
    this.#held.clear();
    this.#held.add(0, size);
    this.size = size;
    this.#wake();
  }

  /** The copy holds nothing of a file of `size` bytes (another version of it is on the server). */
  forget(size: number): void {
    this.#held.clear();
    this.size = size;
  }
}
