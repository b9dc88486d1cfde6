// FileCache: ftpfs's local copies of remote files, in a cache directory of
// its own. A file is downloaded when first opened (reads are served as soon
// as their bytes have arrived), served from the copy afterwards while the
// server's listing shows the same version, and uploaded when changed.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { FdHandle } from 'privsep';
import type { FtpClientPool } from './client/index.js';
import { CachedFile, type RemoteVersion } from './cached-file.js';
import { isInside, movedPath } from './mount-path.js';

const fsOpen = promisify(fs.open);
const fsFtruncate = promisify(fs.ftruncate);
const fsFdatasync = promisify(fs.fdatasync);

/** What the cache has done, for statistics and tests. */
export interface CacheStats {
  /** Downloads started (RETR), resumed ones included. */
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
  /** Reads, writes and truncations of copies under way: close() lets them end first. */
  readonly #io = new Set<Promise<unknown>>();

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
   * Opens the copy of `remote` for one more handle. 'keep' downloads the
   * file unless a copy of the listed version is there (or one with local
   * changes); 'truncate' and 'create' start from an empty copy, without a
   * download.
   * @param listed the file as the listing shows it (null for a new file)
   * @returns the copy, and whether it was complete already
   * @throws local errors opening the copy (EMFILE, ENOSPC, ...)
   */
  async open(remote: string, listed: RemoteVersion | null, how: OpenMode): Promise<{ file: CachedFile; cached: boolean }> {
    let file = this.#files.get(remote);
    if (file && how === 'keep' && listed && !file.dirty && !file.busy && file.onServer && !sameVersion(file.version, listed)) {
      // The server's file changed since the copy was taken.
      this.#discard(file);
      file = undefined;
    }
    const cached = file !== undefined && how === 'keep' && file.complete;
    if (!file) file = new CachedFile(remote, path.join(this.#dir, String(++this.#counter)), how !== 'create');
    // Most recently opened last: eviction takes from the front.
    this.#files.delete(remote);
    this.#files.set(remote, file);
    file.opens++;
    try {
      const handle = await this.#openCopy(file);
      if (how !== 'keep') {
        if (file.download) {
          // Its last writes must land before the copy is emptied.
          this.#stopDownload(file);
          await file.download?.done;
        }
        await this.#track(fsFtruncate(handle.fd, 0));
        file.setContent(0);
        file.dirty = true;
        file.mtimeMs = Date.now();
      } else if (!file.complete && !file.download) {
        this.#startDownload(file, handle, listed);
      }
    } catch (err) {
      file.opens--;
      this.#idle(file);
      throw err;
    }
    if (cached) this.stats.hits++;
    return { file, cached };
  }

  #openCopy(file: CachedFile): Promise<FdHandle> {
    if (file.handle !== null) return Promise.resolve(file.handle);
    file.opening ??= fsOpen(file.local, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600).then((fd) => {
      file.handle = new FdHandle(fd);
      return file.handle;
    }).finally(() => {
      file.opening = null;
    });
    return file.opening;
  }

  #startDownload(file: CachedFile, handle: FdHandle, listed: RemoteVersion | null): void {
    if (listed && !sameVersion(file.version, listed)) {
      // A different version than the part already here: start over.
      file.available = 0;
    }
    file.version = listed ? { ...listed } : file.version;
    file.size = listed?.size ?? file.size;
    file.begin();
    if (listed && file.available > 0 && file.available === listed.size) {
      file.setContent(listed.size);
      return;
    }
    const abort = new AbortController();
    const startAt = file.available;
    this.stats.downloads++;
    const done = this.#pool.use('transfer', (client) => client.downloadToFile(file.remote, handle, { startAt, signal: abort.signal, onProgress: (bytes) => file.stored(startAt + bytes) }), abort.signal)
      .then(() => file.settle(null), (err: Error) => file.settle(err))
      .finally(() => {
        file.download = null;
        this.#idle(file);
      });
    file.download = { done, abort };
  }

  #stopDownload(file: CachedFile): void {
    file.download?.abort.abort();
  }

  /**
   * Bytes of the file, from the copy, once they have arrived.
   * @throws the download's error (FtpError, FtpClosedError, ...); local read
   *   errors; AbortError when `signal` aborts the wait
   */
  async read(file: CachedFile, offset: number, size: number, signal?: AbortSignal): Promise<Buffer> {
    const end = Math.min(offset + size, file.size);
    await file.until(end, signal);
    const handle = this.#handleOf(file);
    // Past `available` a download may be writing this very moment; past
    // `size` the copy may hold what an older version left there.
    const length = Math.max(0, Math.min(size, (file.complete ? file.size : file.available) - offset));
    if (length === 0) return Buffer.alloc(0);
    const buffer = Buffer.allocUnsafe(length);
    const bytesRead = await this.#track(handle.read(buffer, offset));
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }

  #track<T>(operation: Promise<T>): Promise<T> {
    this.#io.add(operation);
    const untrack = (): void => void this.#io.delete(operation);
    operation.then(untrack, untrack);
    return operation;
  }

  #handleOf(file: CachedFile): FdHandle {
    if (file.handle === null) throw Object.assign(new Error('EBADF: cache copy closed'), { code: 'EBADF' });
    return file.handle;
  }

  /**
   * Writes into the copy (after the download, if one runs); the file is
   * then dirty until uploaded.
   * @throws the download's error; local write errors (ENOSPC)
   */
  async write(file: CachedFile, offset: number, data: Uint8Array): Promise<number> {
    await file.until(Infinity);
    await this.#track(this.#handleOf(file).write(data, offset));
    file.setContent(Math.max(file.size, offset + data.length));
    file.dirty = true;
    file.mtimeMs = Date.now();
    return data.length;
  }

  /**
   * Cuts or extends the copy to `size` bytes; the file is then dirty.
   * @throws the download's error; local errors
   */
  async truncate(file: CachedFile, size: number): Promise<void> {
    await file.until(Infinity);
    await this.#track(fsFtruncate(this.#handleOf(file).fd, size));
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
    const handle = file.handle ?? (await this.#openCopy(file));
    const size = file.size;
    // The stream owns a duplicate and reads by position: a failed upload
    // closes the duplicate, never the copy's own descriptor.
    const source = size === 0 ? Readable.from([]) : handle.dup().createReadStream({ start: 0, end: size - 1, highWaterMark: 1024 * 1024 });
    // Writes from now on make the file dirty again.
    file.dirty = false;
    const uploading = this.#pool.use('transfer', (client) => client.upload(source, file.remote)).then(() => undefined);
    file.uploading = uploading;
    try {
      await uploading;
    } catch (err) {
      // The copy is whole and stays the file's content until an upload succeeds.
      file.dirty = true;
      throw err;
    } finally {
      // Closes the duplicate when the upload never started reading it.
      source.destroy();
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
    if (file.opens === 0 && !file.complete) {
      // Nobody reads on: stop; a later open resumes from what arrived (REST).
      this.#stopDownload(file);
    }
    this.#idle(file);
  }

  /** The remote file was deleted: open handles keep the copy, which goes with the last one. */
  unlink(remote: string): void {
    const file = this.#files.get(remote);
    if (!file) return;
    file.unlinked = true;
    this.#files.delete(remote);
    // A download serving an open file goes on (servers keep reading a deleted file).
    if (file.opens === 0) this.#stopDownload(file);
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
    const files = [...this.#files.values()];
    for (const file of files) this.#stopDownload(file);
    await Promise.all(files.map((file) => file.download?.done));
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
    if (file.busy || file.opening) return;
    file.handle?.close();
    file.handle = null;
    const gone = file.unlinked;
    this.#count(file, gone ? 0 : Math.max(file.available, file.complete ? file.size : 0));
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
        if (file.busy || file.opening || file.dirty || !file.onServer) continue;
        this.#discard(file);
      }
    } finally {
      this.#evicting = false;
    }
  }
}
