// CachedFile: the local copy of one remote file, as ftpfs keeps it in its
// cache directory: how much of it has arrived, whether it holds changes not
// yet uploaded, and waiting for bytes still on their way.

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

export class CachedFile {
  /** The file on the server (changes on rename). */
  remote: string;
  /** The copy in the cache directory. */
  readonly local: string;
  /** Open descriptor of the copy while anyone has the file open (or a transfer runs). */
  fd: number | null = null;
  /** Opening the copy: everyone waits for the same open. */
  opening: Promise<number> | null = null;
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
   * @throws the download's error (a new open starts it again)
   */
  until(end: number): Promise<void> {
    if (this.complete || this.available >= end) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.#waiters.push({ until: end, resolve, reject }));
  }

  /** `n` more bytes of the download are in the copy. */
  advance(n: number): void {
    this.available += n;
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

  /** The copy now holds exactly `size` bytes of content, all of it local. */
  setContent(size: number): void {
    this.available = size;
    this.settle(null);
  }
}
