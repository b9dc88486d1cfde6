// FileCache: ftpfs's local copies of remote files, in a cache directory of
// its own. Copies are sparse: a read brings the part it lacks with a RETR
// from that offset (or waits for a download already close to it), the copy
// serves what it holds while the server's listing shows the same version,
// and a change first brings the whole file, which is uploaded afterwards.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FdHandle } from 'privsep';
import type { FtpClientPool } from './client/index.js';
import { CachedFile, type RemoteVersion } from './cached-file.js';
import { Downloader } from './downloader.js';
import { fsError } from './errno-map.js';
import { isInside, movedPath } from './mount-path.js';

const fsFtruncate = promisify(fs.ftruncate);
const fsFdatasync = promisify(fs.fdatasync);

/**
 * A read whose first missing byte lies at most this far past a running
 * download's position waits for that download rather than starting a RETR
 * of its own. A sequential reader's next requests and the kernel's
 * readahead (128 KiB by default) land a little ahead of the download and
 * must never start a second one. Farther, waiting costs more than a new
 * RETR: that takes four round trips (EPSV, connect, REST, RETR) and a
 * transfer connection; at 4 MB/s 2 MiB take half a second, about what those
 * round trips cost at 100 ms each, and on a faster link waiting costs less.
 */
export const DOWNLOAD_WINDOW = 2 * 1024 * 1024;

/**
 * Downloads of one file kept running at most: a sequential reader and two
 * seeks (archive readers read an index at the end, then entries elsewhere).
 * At the cap a new one stops the one least recently useful that no read
 * waits for; reads waiting at more places at once than this each get
 * theirs, and the pool, which gives all transfers together maxConnections
 * - 1 connections, makes them take turns.
 */
export const MAX_DOWNLOADERS = 3;

/** The name of the empty file made ahead for the next copy (copies are named by number). */
export const SPARE_FILE = 'spare';

/** What the cache has done, for statistics and tests. */
export interface CacheStats {
  /** Downloads started (RETR), one per range fetched. */
  downloads: number;
  /** Uploads completed (STOR). */
  uploads: number;
  /** Opens served by a copy that was already complete. */
  hits: number;
}

/** How an open treats the file's content. */
export type OpenMode = 'keep' | 'truncate' | 'create';

function sameVersion(copy: RemoteVersion | null, listed: RemoteVersion): boolean {
  if (!copy || copy.size !== listed.size) return false;
  // A listing entry we wrote ourselves (after an upload): the size says enough.
  if (listed.mtimeMs === null) return true;
  if (copy.mtimeMs === null) {
    // Our own upload: the first listing since gives the server's time.
    copy.mtimeMs = listed.mtimeMs;
    return true;
  }
  return copy.mtimeMs === listed.mtimeMs;
}

/**
 * The copies of one mount, by remote path, in a directory of their own.
 * Transfers go through the pool ('transfer' use), so that listings are never
 * stuck behind them.
 */
export class FileCache {
  readonly stats: CacheStats = { downloads: 0, uploads: 0, hits: 0 };
  readonly #dir: string;
  readonly #pool: FtpClientPool;
  /** Copies by remote path, least recently opened first. */
  readonly #files = new Map<string, CachedFile>();
  readonly #maxBytes: number;
  /** Bytes on disk per copy, as last counted, and their sum. */
  readonly #counted = new Map<CachedFile, number>();
  #bytes = 0;
  #evicting = false;
  #counter = 0;
  /** Counts reads that waited for a download: the least recently useful one is stopped first. */
  #clock = 0;
  /** Reads, writes and truncations of copies under way: close() lets them end first. */
  readonly #io = new Set<Promise<unknown>>();
  /**
   * An empty file made ahead for the next new copy, open, named SPARE_FILE
   * until then: creating a file takes a quarter of a millisecond on ext4
   * (renaming it, a hundredth), which an open of a file not cached would
   * otherwise wait for.
   */
  #spare: { local: string; handle: FdHandle } | null = null;
  #makingSpare: Promise<void> | null = null;
  #closed = false;

  /**
   * @param dir a directory of this cache alone (its files are named by number)
   * @param maxBytes copies nobody uses are removed, oldest first, while the
   *   cache holds more (copies in use or with changes stay, whatever their size)
   */
  constructor(dir: string, pool: FtpClientPool, maxBytes = Infinity) {
    this.#dir = dir;
    this.#pool = pool;
    this.#maxBytes = maxBytes;
  }

  /** Bytes the copies take on disk, as counted when each was last left alone. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The copy of a remote file, if there is one. */
  get(remote: string): CachedFile | undefined {
    return this.#files.get(remote);
  }

  /** The cache directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Every copy, least recently opened first. */
  copies(): IterableIterator<CachedFile> {
    return this.#files.values();
  }

  /**
   * Takes over a copy an earlier mount left in the directory (its name is
   * a number, as this cache's own are); removes old unused copies if the
   * cache is now too big.
   */
  adopt(file: CachedFile): void {
    this.#counter = Math.max(this.#counter, Number(path.basename(file.local)) || 0);
    this.#files.set(file.remote, file);
    this.#idle(file);
  }

  /**
   * Makes the empty file the next new copy takes, in the thread pool; again
   * each time one is taken. Settles when it is there (or could not be made:
   * the next new copy then makes its own file).
   */
  prepareSpare(): Promise<void> {
    if (this.#spare || this.#closed) return Promise.resolve();
    const local = path.join(this.#dir, SPARE_FILE);
    const { O_RDWR, O_CREAT, O_TRUNC } = fs.constants;
    this.#makingSpare ??= new Promise((resolve) => fs.open(local, O_RDWR | O_CREAT | O_TRUNC, 0o600, (err, fd) => {
      this.#makingSpare = null;
      // close() waits for this, and removes it.
      if (!err) this.#spare = { local, handle: new FdHandle(fd) };
      resolve();
    }));
    return this.#makingSpare;
  }

  /** A new copy of `remote`: the spare file, open already, when there is one. */
  #newCopy(remote: string, how: OpenMode): CachedFile {
    const file = new CachedFile(remote, path.join(this.#dir, String(++this.#counter)), how !== 'create');
    const spare = this.#spare;
    if (!spare) return file;
    this.#spare = null;
    try {
      fs.renameSync(spare.local, file.local);
      file.handle = spare.handle;
    } catch {
      // The copy opens a file of its own.
      spare.handle.close();
    }
    void this.prepareSpare();
    return file;
  }

  /** Files with changes not on the server yet, or being uploaded. */
  pendingUploads(): CachedFile[] {
    return [...this.#files.values()].filter((file) => !file.unlinked && (file.dirty || file.uploading !== null));
  }

  /** Puts the copy's content on disk (fdatasync) when it is open. */
  async sync(file: CachedFile): Promise<void> {
    if (file.handle !== null) await this.#track(fsFdatasync(file.handle.fd));
  }

  /** Copies of files created here and not uploaded yet, in a remote directory. */
  *pendingIn(remoteDir: string): Generator<CachedFile> {
    for (const file of this.#files.values()) {
      if (!file.onServer && path.posix.dirname(file.remote) === remoteDir) yield file;
    }
  }

  /**
   * Opens the copy of `remote` for one more handle. 'keep' serves the copy
   * of the listed version (or one with local changes) and downloads nothing
   * yet: reads bring what they lack; 'truncate' and 'create' start from an
   * empty copy.
   * @param listed the file as the listing shows it (null for a new file)
   * @returns the copy, and whether it was there already, of the listed
   *   version: whatever the kernel kept of the file's pages is still right
   * @throws local errors opening the copy (EMFILE, ENOSPC, ...)
   */
  async open(remote: string, listed: RemoteVersion | null, how: OpenMode): Promise<{ file: CachedFile; cached: boolean }> {
    let file = this.#files.get(remote);
    if (file && how === 'keep' && listed && !file.dirty && !file.busy && file.onServer && !sameVersion(file.version, listed)) {
      // The server's file changed since the copy was taken.
      this.#discard(file);
      file = undefined;
    }
    let cached = file !== undefined && how === 'keep';
    const hit = cached && file?.complete === true;
    // A read of what the copy lacks is likely next: its data connection is
    // made meanwhile.
    if (how === 'keep' && listed && !hit) this.#pool.prepareDownload();
    // A new copy's file is made empty by its open: no truncation after it.
    const fresh = file === undefined;
    if (!file) file = this.#newCopy(remote, how);
    // Most recently opened last: eviction takes from the front.
    this.#files.delete(remote);
    this.#files.set(remote, file);
    file.opens++;
    try {
      const handle = this.#openCopy(file, fresh);
      if (how !== 'keep') {
        // Their last writes must land before the copy is emptied.
        await this.#stopDownloads(file);
        if (!fresh) await this.#track(fsFtruncate(handle.fd, 0));
        file.setContent(0);
        file.dirty = true;
        file.mtimeMs = Date.now();
      } else if (listed && this.#fromServer(file) && !sameVersion(file.version, listed)) {
        // A new copy, or part of another version: it holds nothing of this one yet.
        if (!fresh) await this.#track(fsFtruncate(handle.fd, 0));
        file.forget(listed.size);
        file.version = { ...listed };
        cached = false;
      }
    } catch (err) {
      file.opens--;
      this.#idle(file);
      throw err;
    }
    if (hit) this.stats.hits++;
    return { file, cached };
  }

  /**
   * True when the copy holds nothing but (part of) a version of the server's
   * file, and no download writes into it: it may start over. Not a copy with
   * changes, on their way or not, nor a whole one others have open.
   */
  #fromServer(file: CachedFile): boolean {
    return file.onServer && !file.dirty && file.uploading === null && file.downloaders.length === 0 && !(file.complete && file.version !== null);
  }

  /**
   * The copy's descriptor, opened if it is not; `empty` opens it with
   * O_TRUNC (a new copy). Opened at once: a file in the local cache
   * directory opens in microseconds, less than a trip through the thread
   * pool costs, which the open(2) that waits for it would pay.
   */
  #openCopy(file: CachedFile, empty = false): FdHandle {
    if (file.handle === null) {
      const { O_RDWR, O_CREAT, O_TRUNC } = fs.constants;
      file.handle = new FdHandle(fs.openSync(file.local, O_RDWR | O_CREAT | (empty ? O_TRUNC : 0), 0o600));
    }
    return file.handle;
  }

  /**
   * Bytes of the file, from the copy, once it holds them: a part it lacks
   * comes with a download of its own from there (see #fetch).
   * @throws the error of the download that was to bring them (FtpError,
   *   FtpClosedError, ...); local read errors; AbortError when `signal`
   *   aborts the wait
   */
  async read(file: CachedFile, offset: number, size: number, signal?: AbortSignal): Promise<Buffer> {
    let length: number;
    let waited = false;
    do {
      if (await this.#fetch(file, offset, offset + size, signal)) waited = true;
      // Past `size` the copy may hold what an older version left there; and
      // a download that found the end past the listed size may have moved it.
      length = Math.max(0, Math.min(size, file.size - offset));
    } while (!file.covers(offset, offset + length));
    const handle = this.#handleOf(file);
    if (length === 0) return Buffer.alloc(0);
    const buffer = Buffer.allocUnsafe(length);
    // Bytes a download has just written are in the page cache: copying them
    // here costs less than a trip through the thread pool, which on a busy
    // machine waits its turn for a CPU.
    const bytesRead = waited ? fs.readSync(handle.fd, buffer, 0, length, offset) : await this.#track(handle.read(buffer, offset));
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }

  /**
   * Brings [start, end) of the file (what of it lies within the file) into
   * the copy: each part it lacks from a download that is there already or
   * close before it, else from a new one.
   * @returns true when it waited for a download (false: all was there)
   */
  async #fetch(file: CachedFile, start: number, end: number, signal?: AbortSignal): Promise<boolean> {
    let waited = false;
    for (let gap = file.firstGap(start, end); gap; gap = file.firstGap(start, end)) {
      const downloader = this.#downloaderFor(file, gap[0]);
      downloader.lastUseful = ++this.#clock;
      waited = true;
      await file.until(gap[0], end, downloader, signal);
    }
    return waited;
  }

  /** The whole file in the copy, and no download writing into it any more: before a change. */
  async #fetchAll(file: CachedFile, end = Infinity): Promise<void> {
    await this.#fetch(file, 0, end);
    await this.#stopDownloads(file);
  }

  /** A download that will bring `offset` soon: one running close before it, or a new one. */
  #downloaderFor(file: CachedFile, offset: number): Downloader {
    const running = file.downloaders.filter((d) => !d.stopped);
    const near = running.find((d) => d.position <= offset && offset - d.position <= DOWNLOAD_WINDOW && !this.#heldBetween(file, d.position, offset));
    if (near) return near;
    if (running.length >= MAX_DOWNLOADERS) {
      // One no read waits for; stopping one that serves a read would only
      // make that read start another (the pool bounds the transfers anyway).
      const idle = running.filter((d) => !file.serves(d));
      if (idle.length > 0) idle.reduce((oldest, d) => (d.lastUseful < oldest.lastUseful ? d : oldest)).stop();
    }
    return this.#startDownloader(file, offset);
  }

  /** True when the copy holds a byte of [from, to]: a download at `from` stops there. */
  #heldBetween(file: CachedFile, from: number, to: number): boolean {
    const gap = file.firstGap(from, to + 1);
    return gap === null || gap[0] !== from || gap[1] !== Math.min(to + 1, file.size);
  }

  #startDownloader(file: CachedFile, offset: number): Downloader {
    const handle = this.#handleOf(file);
    const downloader = new Downloader(offset, ++this.#clock);
    file.downloaders.push(downloader);
    this.stats.downloads++;
    const onProgress = (bytes: number): void => this.#arrived(file, downloader, offset + bytes);
    downloader.done = this.#pool.use('transfer', (client) => client.downloadToFile(file.remote, handle, { startAt: offset, signal: downloader.signal, onProgress }), downloader.signal)
      .then((bytes) => {
        file.reachedEnd(offset + bytes);
        file.ended(downloader, null);
      }, (err: Error) => file.ended(downloader, downloader.stopped ? null : err))
      .finally(() => this.#idle(file));
    return downloader;
  }

  /** A download has written the file's bytes up to `position`; it stops on reaching bytes held already. */
  #arrived(file: CachedFile, downloader: Downloader, position: number): void {
    file.stored(downloader.position, position);
    downloader.position = position;
    if (!downloader.stopped && file.holds(position)) downloader.stop();
  }

  /** Stops the file's downloads; settles once none writes into the copy any more. */
  async #stopDownloads(file: CachedFile): Promise<void> {
    const running = [...file.downloaders];
    for (const downloader of running) downloader.stop();
    await Promise.all(running.map((d) => d.done));
  }

  #track<T>(operation: Promise<T>): Promise<T> {
    this.#io.add(operation);
    const untrack = (): void => void this.#io.delete(operation);
    operation.then(untrack, untrack);
    return operation;
  }

  #handleOf(file: CachedFile): FdHandle {
    if (file.handle === null) throw fsError('EBADF', new Error('cache copy closed'));
    return file.handle;
  }

  /**
   * Writes into the copy, once it holds the whole file (it is uploaded
   * whole); the file is then dirty until uploaded.
   * @throws the download's error; local write errors (ENOSPC)
   */
  async write(file: CachedFile, offset: number, data: Uint8Array): Promise<number> {
    await this.#fetchAll(file);
    await this.#track(this.#handleOf(file).write(data, offset));
    file.setContent(Math.max(file.size, offset + data.length));
    file.dirty = true;
    file.mtimeMs = Date.now();
    return data.length;
  }

  /**
   * Cuts or extends the copy to `size` bytes, once it holds the part kept;
   * the file is then dirty.
   * @throws the download's error; local errors
   */
  async truncate(file: CachedFile, size: number): Promise<void> {
    await this.#fetchAll(file, size);
    const fd = this.#handleOf(file).fd;
    // An extension reads as zeros, whatever the copy held past the file's end.
    if (size > file.size) await this.#track(fsFtruncate(fd, file.size));
    await this.#track(fsFtruncate(fd, size));
    file.setContent(size);
    file.dirty = true;
    file.mtimeMs = Date.now();
  }

  /**
   * Uploads the copy when it holds changes (STOR of the whole file); waits
   * for an upload already running first. Nothing happens for a file that
   * was deleted meanwhile.
   * @throws the upload's error (FtpError 553, 552, ...); the file stays dirty
   */
  async upload(file: CachedFile): Promise<void> {
    while (file.uploading) await file.uploading.catch(() => {});
    if (!file.dirty || file.unlinked) return;
    const handle = this.#openCopy(file);
    const size = file.size;
    // Writes from now on make the file dirty again.
    file.dirty = false;
    // The upload reads a duplicate of the copy's descriptor, by position: a
    // failed upload closes the duplicate, never the copy's own descriptor.
    const uploading = this.#pool.use('transfer', (client) => client.uploadFromFile(handle, size, file.remote)).then(() => undefined);
    file.uploading = uploading;
    try {
      await uploading;
    } catch (err) {
      // The copy is whole and stays the file's content until an upload succeeds.
      file.dirty = true;
      throw err;
    } finally {
      file.uploading = null;
      this.#idle(file);
    }
    this.stats.uploads++;
    file.onServer = true;
    file.version = { size, mtimeMs: null };
  }

  /** One handle less; the copy's descriptor closes with the last one. */
  release(file: CachedFile): void {
    file.opens--;
    if (file.opens === 0) {
      // Nobody reads on: stop; a later read brings what is missing (REST).
      void this.#stopDownloads(file);
    }
    this.#idle(file);
  }

  /**
   * Brings what the copy of an open file lacks before the server's file
   * goes (deleted, or replaced by a rename): descriptors open on it read on.
   * A download that fails leaves the copy as it is (reads of what it lacks
   * then fail): the delete goes ahead.
   */
  async keepForOpen(remote: string): Promise<void> {
    const file = this.#files.get(remote);
    if (file && file.opens > 0 && !file.complete) await this.#fetchAll(file).catch(() => {});
  }

  /** The remote file was deleted: open handles keep the copy, which goes with the last one. */
  unlink(remote: string): void {
    const file = this.#files.get(remote);
    if (!file) return;
    file.unlinked = true;
    this.#files.delete(remote);
    // A download serving an open file goes on (servers keep reading a deleted file).
    if (file.opens === 0) void this.#stopDownloads(file);
    this.#idle(file);
  }

  /** `from` (and all below it) was renamed to `to` on the server. */
  rename(from: string, to: string): void {
    for (const remote of [...this.#files.keys()]) {
      if (isInside(remote, to)) this.unlink(remote);
    }
    for (const [remote, file] of [...this.#files]) {
      if (!isInside(remote, from)) continue;
      this.#files.delete(remote);
      file.remote = movedPath(remote, from, to);
      this.#files.set(file.remote, file);
    }
  }

  /**
   * Stops transfers and closes descriptors; removes the cache directory
   * unless `keep` (its copies are then there for the next mount).
   */
  async close(keep = false): Promise<void> {
    this.#closed = true;
    await this.#makingSpare;
    if (this.#spare) {
      this.#spare.handle.close();
      await fs.promises.rm(this.#spare.local, { force: true });
      this.#spare = null;
    }
    const files = [...this.#files.values()];
    await Promise.all(files.map((file) => this.#stopDownloads(file)));
    // A descriptor is closed only once no read or write still has its number.
    await Promise.allSettled([...this.#io]);
    for (const file of files) {
      file.handle?.close();
      file.handle = null;
    }
    if (keep) return;
    this.#files.clear();
    await fs.promises.rm(this.#dir, { recursive: true, force: true });
  }

  #discard(file: CachedFile): void {
    file.unlinked = true;
    if (this.#files.get(file.remote) === file) this.#files.delete(file.remote);
    this.#idle(file);
  }

  /**
   * Closes the copy's descriptor when nothing uses it; removes a copy nobody
   * can reach; then removes old unused copies while the cache is too big.
   */
  #idle(file: CachedFile): void {
    if (file.busy) return;
    file.handle?.close();
    file.handle = null;
    const gone = file.unlinked;
    this.#count(file, gone ? 0 : file.heldBytes);
    if (gone) void fs.promises.rm(file.local, { force: true }).catch(() => {});
    if (this.#bytes > this.#maxBytes && !this.#evicting) this.#evict();
  }

  #count(file: CachedFile, bytes: number): void {
    this.#bytes += bytes - (this.#counted.get(file) ?? 0);
    if (bytes === 0) this.#counted.delete(file);
    else this.#counted.set(file, bytes);
  }

  #evict(): void {
    this.#evicting = true;
    try {
      for (const file of [...this.#files.values()]) {
        if (this.#bytes <= this.#maxBytes) return;
        if (file.busy || file.dirty || !file.onServer) continue;
        this.#discard(file);
      }
    } finally {
      this.#evicting = false;
    }
  }
}
