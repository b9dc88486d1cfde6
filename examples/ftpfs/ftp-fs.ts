// FtpFs: the FUSE operations of ftpfs on top of a pool of FTP clients.
// Names and attributes come from directory listings (fresh for a set time),
// file contents from a local cache filled on open and uploaded on close
// after a write; FTP's failures become errnos. Runs unprivileged.
import fs from 'node:fs';
import { FtpError, ReplyCode, type FileInfo } from '../ftp/index.js';
import type { FtpClientPool } from './client/index.js';
import type { CachedFile, RemoteVersion } from './cached-file.js';
import { DirCache } from './dir-cache.js';
import { errnoOf, fsError, type ErrnoCode } from './errno-map.js';
import { FileCache } from './file-cache.js';
import { IndexWriter, type IndexEntry } from './cache-index.js';
import { indexEntries, indexEntry, removeStrayFiles, restoreCopies } from './cache-state.js';
import { UploadQueue } from './upload-queue.js';
import { UPLOAD_ATTRIBUTE, uploadState } from './upload-state.js';
import type {
  Attr, AttrChanges, CreateResult, DirEntry, Entry, FuseOperations, OpenResult, RequestContext, StatFs,
} from './fuse/operations.js';
import { NAME_MAX, baseName, childPath, mountPath, parentPath, remotePath, unstorableName } from './mount-path.js';
import { NodeTable, ROOT_ID } from './node-table.js';

const { S_IFDIR, S_IFREG, O_RDONLY, O_TRUNC, O_EXCL } = fs.constants;
const O_ACCMODE = 3;
const RENAME_NOREPLACE = 1;
/** The mode FTP servers give an uploaded file (umask 022). */
const DEFAULT_FILE_MODE = 0o644;
const RENAME_EXCHANGE = 2;

export interface FtpFsOptions {
  pool: FtpClientPool;
  /** The server's directory that is mounted, absolute ('/' or '/pub'). */
  remoteRoot: string;
  /** A directory for the cached copies, used by this mount alone. */
  cacheDir: string;
  /**
   * The copies an earlier mount left in cacheDir (its index): with it,
   * copies and their index stay in cacheDir after close(); without it,
   * close() removes cacheDir (unless files are still not on the server).
   */
  index?: IndexEntry[];
  /** How long close() waits for uploads still pending, in ms. Default 10 s. */
  unmountWaitMs?: number;
  /** How long a directory listing stays fresh, in ms. */
  dirTtlMs: number;
  readOnly?: boolean;
  /** Owner shown for every file (FTP's owners mean nothing here). Default: this process's. */
  uid?: number;
  gid?: number;
  /** st_blksize: the I/O size programs such as cp use. Default 1 MiB. */
  blksize?: number;
  /** Copies nobody uses are removed, oldest first, while the cache holds more bytes. Default: no limit. */
  cacheBytes?: number;
  /** Told of failures no caller can be told of (an upload at release, a retry). */
  report?: (message: string) => void;
}

interface Handle {
  file: CachedFile;
  /**
   * This handle changed the file (write, truncate, O_TRUNC, create): its
   * close uploads and tells how that went. A reader's close leaves a
   * pending upload to the retry queue.
   */
  changed: boolean;
}

/** Anything thrown, as an error FuseSession answers with its errno. */
function asFsError(err: unknown): Error {
  const code = errnoOf(err);
  if (err instanceof Error && (err as { code?: unknown }).code === code && typeof (err as { errno?: unknown }).errno === 'number') return err;
  return fsError(code, err);
}


/**
 * The file system ftpfs serves: FUSE operations on node ids, carried out
 * with FTP commands through a pool of clients, and errors thrown as errno
 * errors (see errno-map.ts) for FuseSession to answer with.
 */
export class FtpFs implements FuseOperations {
  readonly nodes = new NodeTable();
  readonly dirs: DirCache;
  readonly files: FileCache;
  readonly uploads: UploadQueue;
  /** Writes the cache directory's index; null for a directory removed at close. */
  readonly #index: IndexWriter | null;
  readonly #unmountWaitMs: number;
  readonly #pool: FtpClientPool;
  readonly #root: string;
  readonly #readOnly: boolean;
  readonly #uid: number;
  readonly #gid: number;
  readonly #blksize: number;
  readonly #report: (message: string) => void;
  readonly #startedAt = Date.now();
  readonly #handles = new Map<number, Handle>();
  readonly #listings = new Map<number, DirEntry[]>();
  /** Listing entries ftpfs wrote itself (after mkdir, create, an upload): not the server's word. */
  readonly #ours = new WeakSet<FileInfo>();
  #nextFh = 1;

  constructor(options: FtpFsOptions) {
    this.#pool = options.pool;
    this.#root = options.remoteRoot;
    this.#readOnly = options.readOnly ?? false;
    this.#uid = options.uid ?? process.getuid?.() ?? 0;
    this.#gid = options.gid ?? process.getgid?.() ?? 0;
    this.#blksize = options.blksize ?? 1024 * 1024;
    this.#report = options.report ?? (() => {});
    this.files = new FileCache(options.cacheDir, options.pool, options.cacheBytes);
    this.#unmountWaitMs = options.unmountWaitMs ?? 10_000;
    this.uploads = new UploadQueue({
      send: (file) => this.#upload(file),
      report: this.#report,
      // The copy is recorded as changed before its first try: the reason and the next try are for show.
      changed: (file) => void this.#record(file, false),
    });
    this.#index = options.index ? new IndexWriter(options.cacheDir, () => this.#entries()) : null;
    if (options.index) this.#restore(options.index);
    void this.files.prepareSpare();
    this.dirs = new DirCache(
      (dir) => this.#pool.use('command', (client) => client.list(this.#remote(dir))),
      (dir, entries) => this.#addPending(dir, entries),
      options.dirTtlMs,
    );
  }

  /** Takes over the copies of an earlier mount; what it left dirty is uploaded through the retry queue. */
  #restore(index: IndexEntry[]): void {
    removeStrayFiles(this.files.dir, index);
    const dirty = new Map(index.filter((entry) => entry.dirty).map((entry) => [entry.remote, entry]));
    for (const file of restoreCopies(this.files.dir, index, this.#report)) {
      this.files.adopt(file);
      const entry = dirty.get(file.remote);
      if (!entry) continue;
      this.#report(`${file.remote} was left not on the server by an earlier mount: uploading it`);
      this.uploads.resume(file, null, entry.lastError);
    }
    // One index.json again, with the journal's records in it.
    void this.#saveIndex();
  }

  #entries(): IndexEntry[] {
    return indexEntries(this.files.copies(), (file) => this.uploads.failure(file));
  }

  /** Records every copy's state on disk (persistent cache directories only); failures are told, not thrown. */
  async #saveIndex(): Promise<void> {
    await this.#index?.save().catch((err: Error) => this.#report(`cannot write the cache index in ${this.files.dir}: ${err.message}`));
  }

  /**
   * Records one copy's state on disk (persistent cache directories only);
   * failures are told, not thrown. `sync: false` for a state whose loss in
   * a crash costs only a repeated upload.
   */
  async #record(file: CachedFile, sync = true): Promise<void> {
    if (file.unlinked) return;
    await this.#index?.record(indexEntry(file, this.uploads.failure(file)), sync)
      .catch((err: Error) => this.#report(`cannot record the state of ${file.remote} in ${this.files.dir}: ${err.message}`));
  }

  /**
   * Waits up to the unmount wait for pending uploads (each tried once more
   * at once), stops transfers and closes the copies: kept with their index
   * in a persistent cache directory; a private one is removed unless files
   * are still not on the server.
   * @returns the files still not on the server, with the last reason
   */
  async close(): Promise<Array<{ remote: string; error: string | null }>> {
    const left = await this.uploads.drain(() => this.files.pendingUploads(), this.#unmountWaitMs);
    await this.files.close(this.#index !== null || left.length > 0);
    if (this.#index) {
      await this.#saveIndex();
      // Copies the index does not name (deleted files, empty ones) have no use.
      removeStrayFiles(this.files.dir, this.#entries());
    }
    return left.map((file) => ({ remote: file.remote, error: this.uploads.failure(file)?.error ?? null }));
  }

  #remote(path: string): string {
    return remotePath(this.#root, path);
  }

  #path(id: number): string {
    const path = this.nodes.pathOf(id);
    if (path === undefined) throw fsError('ENOENT');
    return path;
  }

  /** Files created here and not uploaded yet belong in their directory's listing. */
  #addPending(dir: string, entries: Map<string, FileInfo>): void {
    for (const file of this.files.pendingIn(this.#remote(dir))) {
      const name = baseName(file.remote);
      if (!entries.has(name)) entries.set(name, this.#ourInfo({ name, type: 'file', size: file.size, modifiedAt: new Date(file.mtimeMs), mode: file.pendingMode ?? DEFAULT_FILE_MODE }));
    }
  }

  #ourInfo(info: FileInfo): FileInfo {
    this.#ours.add(info);
    return info;
  }

  #listed(info: FileInfo): RemoteVersion {
    return { size: info.size, mtimeMs: this.#ours.has(info) ? null : info.modifiedAt?.getTime() ?? 0 };
  }

  /** The listing entry for `name` in `dir`; symbolic links resolved to what they point to. */
  async #child(dir: string, name: string): Promise<FileInfo> {
    const info = (await this.dirs.get(dir)).get(name);
    if (!info) throw fsError('ENOENT');
    if (info.type === 'symlink' || info.type === 'unknown') {
      const resolved = await this.#resolve(dir, info);
      if (!resolved) throw fsError('ENOENT');
      return resolved;
    }
    return info;
  }

  /**
   * FTP shows a link but follows it on every command: SIZE tells a file
   * (and its size), CWD a directory; a link that is neither leads nowhere
   * the server lets us go (null).
   */
  async #resolve(dir: string, link: FileInfo): Promise<FileInfo | null> {
    const remote = this.#remote(childPath(dir, link.name));
    const resolved = await this.#pool.use('command', async (client): Promise<FileInfo | null> => {
      try {
        return { ...link, type: 'file', size: await client.size(remote), mode: 0o644 };
      } catch (err) {
        if (!(err instanceof FtpError)) throw err;
      }
      try {
        // Paths are absolute everywhere, so where the session stands does not matter.
        await client.send('CWD', remote);
        return { ...link, type: 'directory', size: 0, mode: 0o755 };
      } catch (err) {
        if (!(err instanceof FtpError)) throw err;
        return null;
      }
    });
    if (resolved) this.dirs.put(dir, resolved);
    return resolved;
  }

  #rootInfo(): FileInfo {
    return { name: '/', type: 'directory', size: 0, mode: 0o755, modifiedAt: new Date(this.#startedAt) };
  }

  async #info(path: string): Promise<FileInfo> {
    return path === '/' ? this.#rootInfo() : this.#child(parentPath(path), baseName(path));
  }

  #attr(id: number, info: FileInfo, file?: CachedFile): Attr {
    const dir = info.type === 'directory';
    const local = file !== undefined && (file.dirty || !file.onServer || file.uploading !== null || file.unlinked);
    const mtimeMs = local ? file.mtimeMs : info.modifiedAt?.getTime() ?? this.#startedAt;
    return {
      ino: id,
      mode: (dir ? S_IFDIR : S_IFREG) | (info.mode ?? (dir ? 0o755 : 0o644)),
      nlink: dir ? 2 : 1,
      uid: this.#uid,
      gid: this.#gid,
      size: dir ? 4096 : local ? file.size : info.size,
      atimeMs: mtimeMs,
      mtimeMs,
      ctimeMs: mtimeMs,
      blksize: this.#blksize,
    };
  }

  #entry(path: string, info: FileInfo): Entry {
    const id = this.nodes.idOf(path);
    return { nodeid: id, attr: this.#attr(id, info, info.type === 'file' ? this.files.get(this.#remote(path)) : undefined) };
  }

  /**
   * The errno for an FTP failure on `path`. A 550 is vague ("Failed to
   * open file."): the path is gone (ENOENT) when a fresh listing no longer
   * shows it, else the server refused (`refused`, EACCES by default).
   */
  async #explain(err: unknown, path: string, refused: ErrnoCode = 'EACCES'): Promise<Error> {
    if (!(err instanceof FtpError) || err.code !== ReplyCode.FileUnavailable || errnoOf(err) !== 'ENOENT' || path === '/') return asFsError(err);
    try {
      const entries = await this.dirs.refresh(parentPath(path));
      return fsError(entries.has(baseName(path)) ? refused : 'ENOENT', err);
    } catch {
      return asFsError(err);
    }
  }

  #checkWritable(): void {
    if (this.#readOnly) throw fsError('EROFS');
  }

  /** A new name must be one the server can store: refused now, not when the upload fails. */
  #checkNewName(name: string): void {
    const why = unstorableName(name);
    if (why) throw fsError(why);
  }

  // ---- names and attributes ----

  async lookup(_ctx: RequestContext, parent: number, name: string): Promise<Entry> {
    try {
      // No listing holds such a name: say why it cannot be found, as a local file system does.
      if (Buffer.byteLength(name) > NAME_MAX) throw fsError('ENAMETOOLONG');
      const dir = this.#path(parent);
      const path = childPath(dir, name);
      return this.#entry(path, await this.#child(dir, name));
    } catch (err) {
      throw asFsError(err);
    }
  }

  forget(nodeid: number): void {
    this.nodes.forget(nodeid);
  }

  async getattr(_ctx: RequestContext, nodeid: number, fh: number | undefined): Promise<Attr> {
    try {
      const handle = fh === undefined ? undefined : this.#handles.get(fh);
      if (handle && (handle.file.unlinked || !handle.file.onServer)) {
        return this.#attr(nodeid, { name: '', type: 'file', size: handle.file.size, mode: 0o644 }, handle.file);
      }
      const path = this.#path(nodeid);
      const info = await this.#info(path);
      return this.#attr(nodeid, info, info.type === 'file' ? this.files.get(this.#remote(path)) : undefined);
    } catch (err) {
      throw asFsError(err);
    }
  }

  async setattr(ctx: RequestContext, nodeid: number, changes: AttrChanges, fh: number | undefined): Promise<Attr> {
    try {
      this.#checkWritable();
      const path = this.#path(nodeid);
      const remote = this.#remote(path);
      if ((changes.uid !== undefined && changes.uid !== this.#uid) || (changes.gid !== undefined && changes.gid !== this.#gid)) {
        throw fsError('EPERM'); // FTP has no chown.
      }
      if (changes.size !== undefined) await this.#truncate(path, changes.size, fh);
      if (changes.mode !== undefined) await this.#chmod(path, changes.mode);
      const mtime = changes.mtimeMs;
      if (mtime !== undefined) await this.#setTime(path, remote, mtime === 'now' ? Date.now() : mtime);
      return await this.getattr(ctx, nodeid, fh);
    } catch (err) {
      throw asFsError(err);
    }
  }

  async #truncate(path: string, size: number, fh: number | undefined): Promise<void> {
    const handle = fh === undefined ? undefined : this.#handles.get(fh);
    if (handle) {
      handle.changed = true;
      await this.files.truncate(handle.file, size);
      return;
    }
    // truncate(2) by name: through a copy, uploaded at once.
    const info = await this.#info(path);
    if (info.type === 'directory') throw fsError('EISDIR');
    const { file } = await this.files.open(this.#remote(path), this.#listed(info), size === 0 ? 'truncate' : 'keep');
    try {
      if (size !== 0) await this.files.truncate(file, size);
      await this.#uploadNow(file);
    } finally {
      this.files.release(file);
    }
  }

  async #chmod(path: string, mode: number): Promise<void> {
    const remote = this.#remote(path);
    const info = await this.#info(path);
    if (info.mode !== undefined && (info.mode & 0o7777) === (mode & 0o7777)) return; // cp -p, tar: often the mode it has
    const file = this.files.get(remote);
    if (file && (file.dirty || file.uploading || !file.onServer)) {
      // Not on the server yet (tar, sed -i chmod the file they are writing): after the upload.
      file.pendingMode = mode & 0o7777;
      this.dirs.put(parentPath(path), this.#ourInfo({ ...info, mode: mode & 0o7777 }));
      return;
    }
    try {
      await this.#pool.use('command', (client) => client.chmod(remote, mode));
    } catch (err) {
      // No SITE CHMOD, or the server said no.
      if (err instanceof FtpError && err.code >= 500) throw fsError('EPERM', err);
      throw err;
    }
    if (path !== '/') this.dirs.put(parentPath(path), this.#ourInfo({ ...info, mode: mode & 0o7777 }));
  }

  /**
   * utimens: MFMT when the server offers it; a file with changes not yet
   * uploaded gets the time after its upload. Without MFMT the time is
   * accepted and shown until the directory is listed again: cp -p, tar
   * and touch then work, and FTP keeps its own times.
   */
  async #setTime(path: string, remote: string, ms: number): Promise<void> {
    const file = this.files.get(remote);
    if (file && (file.dirty || file.uploading || !file.onServer)) {
      file.pendingMtimeMs = ms;
      file.mtimeMs = ms;
      return;
    }
    const info = await this.#info(path);
    if (path !== '/' && await this.#offers('MFMT')) {
      try {
        await this.#pool.use('command', (client) => client.setLastModified(remote, new Date(ms)));
        if (file?.version) file.version.mtimeMs = null;
      } catch (err) {
        if (!await this.#timeRefusedOnDirectory(err, path, info)) throw await this.#explain(err, path, 'EPERM');
      }
    }
    if (path !== '/') this.dirs.put(parentPath(path), this.#ourInfo({ ...info, modifiedAt: new Date(ms) }));
  }

  /**
   * Servers that cannot set a directory's time answer MFMT with 550
   * (pyftpdlib): not a missing directory, so tar x and rsync -a go on. The
   * time is then kept as without MFMT; a directory that is gone stays ENOENT.
   */
  async #timeRefusedOnDirectory(err: unknown, path: string, info: FileInfo): Promise<boolean> {
    if (!(err instanceof FtpError) || err.code !== ReplyCode.FileUnavailable || info.type !== 'directory') return false;
    const entries = await this.dirs.refresh(parentPath(path)).catch(() => null);
    return entries?.get(baseName(path))?.type === 'directory';
  }

  async #offers(feature: string): Promise<boolean> {
    return this.#pool.use('command', async (client) => {
      if (!client.connected) await client.connect();
      return client.features.has(feature);
    });
  }

  // ---- directories ----

  async mkdir(_ctx: RequestContext, parent: number, name: string, mode: number, umask: number): Promise<Entry> {
    const dir = this.#path(parent);
    const path = childPath(dir, name);
    try {
      this.#checkWritable();
      this.#checkNewName(name);
      if ((await this.dirs.get(dir)).has(name)) throw fsError('EEXIST');
      await this.#pool.use('command', (client) => client.mkdir(this.#remote(path)));
      const info = this.#ourInfo({ name, type: 'directory', size: 0, modifiedAt: new Date(), mode: mode & ~umask & 0o7777 });
      this.dirs.put(dir, info);
      this.dirs.seedEmpty(path);
      return this.#entry(path, info);
    } catch (err) {
      throw await this.#explainMkdir(err, path);
    }
  }

  /** A 550 to MKD: the name exists (EEXIST), or the server refused (EACCES). */
  async #explainMkdir(err: unknown, path: string): Promise<Error> {
    if (!(err instanceof FtpError) || err.code !== ReplyCode.FileUnavailable) return asFsError(err);
    const entries = await this.dirs.refresh(parentPath(path)).catch(() => null);
    return fsError(entries?.has(baseName(path)) ? 'EEXIST' : 'EACCES', err);
  }

  async rmdir(_ctx: RequestContext, parent: number, name: string): Promise<void> {
    const dir = this.#path(parent);
    const path = childPath(dir, name);
    try {
      this.#checkWritable();
      const info = await this.#child(dir, name);
      if (info.type !== 'directory') throw fsError('ENOTDIR');
      try {
        await this.#pool.use('command', (client) => client.rmdir(this.#remote(path)));
      } catch (err) {
        if (err instanceof FtpError && err.code === ReplyCode.FileUnavailable) {
          const inside = await this.dirs.refresh(path).catch(() => null);
          if (inside && inside.size > 0) throw fsError('ENOTEMPTY', err);
        }
        throw await this.#explain(err, path);
      }
      this.dirs.remove(dir, name);
      this.nodes.detach(path);
    } catch (err) {
      throw asFsError(err);
    }
  }

  async opendir(_ctx: RequestContext, nodeid: number): Promise<OpenResult> {
    try {
      const path = this.#path(nodeid);
      const entries = await this.dirs.get(path);
      const listing: DirEntry[] = [
        { name: '.', ino: nodeid, mode: S_IFDIR },
        { name: '..', ino: path === '/' ? ROOT_ID : this.nodes.idOf(parentPath(path)), mode: S_IFDIR },
      ];
      // Entries go to the kernel with their attributes: links must be resolved first.
      const infos = await Promise.all([...entries.values()].map((info) => (info.type === 'symlink' || info.type === 'unknown' ? this.#resolve(path, info) : info)));
      for (const info of infos) {
        if (!info) continue;
        const entry = this.#entry(childPath(path, info.name), info);
        listing.push({ name: info.name, ino: entry.nodeid!, mode: entry.attr.mode, entry });
      }
      const fh = this.#nextFh++;
      this.#listings.set(fh, listing);
      return { fh };
    } catch (err) {
      throw asFsError(err);
    }
  }

  *#from(listing: DirEntry[], offset: number): Generator<DirEntry> {
    for (let i = offset; i < listing.length; i++) yield listing[i]!;
  }

  readdir(_ctx: RequestContext, _nodeid: number, fh: number, offset: number): Iterable<DirEntry> {
    const listing = this.#listings.get(fh);
    if (!listing) throw fsError('EBADF');
    return this.#from(listing, offset);
  }

  releasedir(_ctx: RequestContext, _nodeid: number, fh: number): void {
    this.#listings.delete(fh);
  }

  // ---- files ----

  async create(_ctx: RequestContext, parent: number, name: string, mode: number, umask: number, flags: number): Promise<CreateResult> {
    const dir = this.#path(parent);
    const path = childPath(dir, name);
    try {
      this.#checkWritable();
      this.#checkNewName(name);
      const existing = (await this.dirs.get(dir)).get(name);
      if (existing && flags & O_EXCL) throw fsError('EEXIST');
      if (existing?.type === 'directory') throw fsError('EISDIR');
      const { file } = await this.files.open(this.#remote(path), null, existing ? 'truncate' : 'create');
      const wanted = mode & ~umask & 0o7777;
      // STOR cannot carry a mode: the server gives its default, 0644 nearly
      // always. Another mode (mkstemp's 0600, an executable's 0755) follows
      // the upload with SITE CHMOD.
      if (!existing && wanted !== DEFAULT_FILE_MODE) file.pendingMode = wanted;
      const info = this.#ourInfo({ name, type: 'file', size: 0, modifiedAt: new Date(), mode: existing?.mode ?? wanted });
      this.dirs.put(dir, info);
      return { entry: this.#entry(path, info), fh: this.#open(file, true) };
    } catch (err) {
      throw asFsError(err);
    }
  }

  #open(file: CachedFile, changed: boolean): number {
    const fh = this.#nextFh++;
    this.#handles.set(fh, { file, changed });
    return fh;
  }

  #handle(fh: number): Handle {
    const handle = this.#handles.get(fh);
    if (!handle) throw fsError('EBADF');
    return handle;
  }

  async open(_ctx: RequestContext, nodeid: number, flags: number): Promise<OpenResult> {
    try {
      const path = this.#path(nodeid);
      const info = await this.#info(path);
      if (info.type === 'directory') throw fsError('EISDIR');
      const writing = (flags & O_ACCMODE) !== O_RDONLY;
      if (writing) this.#checkWritable();
      const how = writing && flags & O_TRUNC ? 'truncate' : 'keep';
      const { file, cached } = await this.files.open(this.#remote(path), this.#listed(info), how);
      // An unchanged copy: the kernel may keep the pages it has of it. A
      // descriptor open for reading changes nothing: its close(2) has
      // nothing to upload, and need not wait for us.
      return { fh: this.#open(file, how === 'truncate'), keepCache: cached, noFlush: !writing };
    } catch (err) {
      throw asFsError(err);
    }
  }

  async read(ctx: RequestContext, nodeid: number, fh: number, offset: number, size: number): Promise<Uint8Array> {
    const { file } = this.#handle(fh);
    try {
      return await this.files.read(file, offset, size, ctx.signal);
    } catch (err) {
      throw await this.#explain(err, this.nodes.pathOf(nodeid) ?? '/');
    }
  }

  async write(_ctx: RequestContext, _nodeid: number, fh: number, offset: number, data: Buffer): Promise<number> {
    const handle = this.#handle(fh);
    const { file } = handle;
    try {
      this.#checkWritable();
      handle.changed = true;
      const written = await this.files.write(file, offset, data);
      this.uploads.reset(file);
      return written;
    } catch (err) {
      throw asFsError(err);
    }
  }

  /**
   * Uploads a changed copy now (close, fsync, truncate by name): its
   * content and dirty state are put on disk first, so that a failure or a
   * crash loses nothing; a failure leaves it to the retry queue.
   */
  async #uploadNow(file: CachedFile): Promise<void> {
    if (!file.dirty || file.unlinked) return;
    if (this.#index) {
      await this.files.sync(file);
      await this.#record(file);
    }
    this.uploads.reset(file);
    try {
      await this.uploads.run(file);
    } catch (err) {
      // A vague 550 to STOR: the server refused the name or the place.
      if (err instanceof FtpError && err.code === ReplyCode.FileUnavailable && errnoOf(err) === 'ENOENT') throw fsError('EACCES', err);
      throw asFsError(err);
    }
  }

  /** Uploads the copy if it changed, and records the result in the listing. */
  async #upload(file: CachedFile): Promise<void> {
    if (!file.dirty || file.unlinked) return;
    await this.files.upload(file);
    const at = mountPath(this.#root, file.remote);
    const existing = this.dirs.peek(parentPath(at), baseName(at));
    this.dirs.put(parentPath(at), this.#ourInfo({ name: baseName(at), type: 'file', size: file.size, modifiedAt: new Date(file.mtimeMs), mode: file.pendingMode ?? existing?.mode ?? DEFAULT_FILE_MODE }));
    const mode = file.pendingMode;
    file.pendingMode = null;
    if (mode !== null) {
      await this.#pool.use('command', (client) => client.chmod(file.remote, mode))
        .catch((err: Error) => this.#report(`chmod ${mode.toString(8)} ${file.remote} after the upload failed: ${err.message}`));
    }
    const pending = file.pendingMtimeMs;
    file.pendingMtimeMs = null;
    // The content is safe on the server: a time it refuses is no failure of close(2).
    if (pending !== null) await this.#setTime(at, file.remote, pending).catch((err: Error) => this.#report(`setting the time of ${file.remote} failed: ${err.message}`));
    // On the server now: a crash that loses this record leads to one more upload of the same content.
    void this.#record(file, false);
  }

  /** close(2) of a descriptor: a changed file is uploaded now, and close reports how that went. */
  async flush(_ctx: RequestContext, _nodeid: number, fh: number): Promise<void> {
    const handle = this.#handle(fh);
    if (handle.changed) await this.#uploadNow(handle.file);
  }

  fsync(ctx: RequestContext, nodeid: number, fh: number): Promise<void> {
    return this.flush(ctx, nodeid, fh);
  }

  async release(_ctx: RequestContext, _nodeid: number, fh: number): Promise<void> {
    const handle = this.#handles.get(fh);
    if (!handle) return;
    this.#handles.delete(fh);
    try {
      // Changes made after the last flush (through mmap): a failure is told by the retry queue.
      if (handle.changed) await this.#uploadNow(handle.file).catch(() => {});
    } finally {
      this.files.release(handle.file);
    }
  }

  async unlink(_ctx: RequestContext, parent: number, name: string): Promise<void> {
    const dir = this.#path(parent);
    const path = childPath(dir, name);
    const remote = this.#remote(path);
    try {
      this.#checkWritable();
      const info = await this.#child(dir, name);
      if (info.type === 'directory') throw fsError('EISDIR');
      const file = this.files.get(remote);
      // A file created here and never uploaded exists only in the cache.
      if (!file || file.onServer) {
        await this.files.keepForOpen(remote);
        try {
          await this.#pool.use('command', (client) => client.remove(remote));
        } catch (err) {
          throw await this.#explain(err, path);
        }
      }
      if (file) this.uploads.forget(file);
      this.files.unlink(remote);
      // A deleted file that was still to be uploaded must not come back with the next mount.
      if (file?.dirty) await this.#saveIndex();
      this.dirs.remove(dir, name);
      this.nodes.detach(path);
    } catch (err) {
      throw asFsError(err);
    }
  }

  async rename(_ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): Promise<void> {
    try {
      if (flags & RENAME_EXCHANGE || flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) throw fsError('EINVAL'); // FTP cannot swap two names.
      this.#checkWritable();
      this.#checkNewName(newName);
      const from = childPath(this.#path(parent), name);
      const toDir = this.#path(newParent);
      const to = childPath(toDir, newName);
      const info = await this.#info(from);
      const target = (await this.dirs.get(toDir)).get(newName);
      if (target && flags & RENAME_NOREPLACE) throw fsError('EEXIST');
      if (target?.type === 'directory' && info.type !== 'directory') throw fsError('EISDIR');
      if (target && target.type !== 'directory' && info.type === 'directory') throw fsError('ENOTDIR');
      const file = this.files.get(this.#remote(from));
      if (!file || file.onServer) {
        if (target) await this.files.keepForOpen(this.#remote(to));
        try {
          await this.#pool.use('command', (client) => client.rename(this.#remote(from), this.#remote(to)));
        } catch (err) {
          if (target?.type === 'directory' && err instanceof FtpError && err.code === ReplyCode.FileUnavailable) throw fsError('ENOTEMPTY', err);
          throw await this.#explain(err, from);
        }
      }
      this.files.rename(this.#remote(from), this.#remote(to));
      // Files still to be uploaded go to the new name, also with the next mount.
      if (this.files.pendingUploads().length > 0) await this.#saveIndex();
      this.dirs.rename(from, to);
      this.nodes.rename(from, to);
    } catch (err) {
      throw asFsError(err);
    }
  }

  /** user.ftpfs.upload: whether a file is on the server as the mount shows it (absent), or why not. */
  getxattr(_ctx: RequestContext, nodeid: number, name: string): Uint8Array {
    const file = name === UPLOAD_ATTRIBUTE ? this.#fileOf(nodeid) : undefined;
    const state = file && uploadState(file, this.uploads.failure(file));
    if (!state) throw fsError('ENODATA');
    return Buffer.from(state);
  }

  listxattr(_ctx: RequestContext, nodeid: number): string[] {
    const file = this.#fileOf(nodeid);
    return file && uploadState(file, this.uploads.failure(file)) ? [UPLOAD_ATTRIBUTE] : [];
  }

  #fileOf(nodeid: number): CachedFile | undefined {
    const path = this.nodes.pathOf(nodeid);
    return path === undefined || path === '/' ? undefined : this.files.get(this.#remote(path));
  }

  statfs(): StatFs {
    // FTP cannot tell free space: report plenty, so that programs that check first go on.
    const blocks = 2 ** 38;
    return { blocks, bfree: blocks, bavail: blocks, files: 2 ** 32, ffree: 2 ** 32, bsize: 4096, namelen: NAME_MAX, frsize: 4096 };
  }
}
