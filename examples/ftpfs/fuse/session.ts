// FuseSession: serves one FUSE connection (an open /dev/fuse fd) from the
// event loop: reads one request per read(2), dispatches it to the file
// system's operations (many in flight at once), writes one reply per write.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { FdHandle, FdPoller, abortError, outOfRange, readNonBlocking, setNonBlocking, writeNonBlocking } from 'privsep';
import {
  ATTR_OUT_SIZE, ENTRY_OUT_SIZE, FATTR, FUSE_GETATTR_FH, FUSE_FSYNC_FDATASYNC, FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION, FUSE_MIN_KERNEL_MINOR, FUSE_MIN_READ_BUFFER, FUSE_NAME_MAX, IN_HEADER_SIZE, INIT_OUT_COMPAT_22_SIZE,
  INIT_OUT_SIZE, InitFlag, OPEN_OUT_SIZE, OUT_HEADER_SIZE, Opcode, STATFS_OUT_SIZE, WRITE_OUT_SIZE,
  GETXATTR_IN_SIZE, GETXATTR_OUT_SIZE, decodeAccessIn, decodeBatchForgetIn, decodeGetxattrIn, decodeCreateIn, decodeFlushIn, decodeForgetIn, decodeFsyncIn, decodeGetattrIn, decodeInHeader,
  decodeInitIn, decodeInterruptIn, decodeMkdirIn, decodeOpenIn, decodeReadIn, decodeReleaseIn, decodeRenameIn,
  decodeSetattrIn, decodeWriteIn, encodeOutHeader, readName, writeAttrOut, writeDirent, writeEntryOut, writeInitOut,
  writeGetxattrOut, writeOpenOut, writeStatfsOut, writeWriteOut,
  type EntryOut, type InHeader,
} from './abi.js';
import { direntType, openFlags, toAttrChanges, toFuseAttr, validity } from './convert.js';
import { errnoOf, fuseError, type Attr, type DirEntry, type Entry, type FuseOperations, type OpenResult, type RequestContext } from './operations.js';

export interface SessionOptions {
  /** Largest WRITE the kernel sends, in bytes: a multiple of 4096 from 4 KiB to 1 MiB. Default 128 KiB. */
  maxWrite?: number;
  /** Largest readahead, in bytes; default: what the kernel offers. */
  maxReadahead?: number;
  /** Background requests (readahead, async I/O) the kernel keeps in flight. Default 64. */
  maxBackground?: number;
  /** Default seconds the kernel caches a name (Entry.entryTimeout overrides). Default 1. */
  entryTimeout?: number;
  /** Default seconds the kernel caches attributes (Entry.attrTimeout overrides). Default 1. */
  attrTimeout?: number;
  /** Ask for READDIRPLUS: readdir then returns entries with attributes (DirEntry.entry). Default false. */
  readdirPlus?: boolean;
  /** open() gets O_TRUNC itself instead of a later setattr(size 0) (FUSE_ATOMIC_O_TRUNC). Default false. */
  atomicTruncate?: boolean;
}

export type CloseReason = 'unmounted' | 'closed' | 'error';

const E = os.constants.errno;
const MAX_READS_PER_WAKE = 64;
const DEFAULT_STATFS = { blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize: 4096, namelen: 255, frsize: 4096 };

class Context implements RequestContext {
  #controller: AbortController | undefined;
  constructor(readonly uid: number, readonly gid: number, readonly pid: number, readonly unique: number) {}

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  abort(): void {
    (this.#controller ??= new AbortController()).abort(abortError('interrupted'));
  }
}

type Handler = (this: FuseSession, h: InHeader, body: Buffer) => void;

/** Opcode -> handler; filled in by FuseSession's static block, which can reach its private methods. */
const HANDLERS = new Map<number, Handler>();
/** Requests the kernel expects no reply to. */
const NO_REPLY = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET, Opcode.INTERRUPT]);

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function hasErrnoShape(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno, name } = err as { code?: unknown; errno?: unknown; name?: unknown };
  return typeof code === 'string' || typeof errno === 'number' || name === 'AbortError';
}

function checkOption(name: string, value: number, min: number, max: number, step = 1): number {
  if (!Number.isInteger(value) || value < min || value > max || value % step !== 0) {
    throw outOfRange(name, `an integer multiple of ${step} >= ${min} and <= ${max}`, value);
  }
  return value;
}

type ResolvedSessionOptions = Required<Omit<SessionOptions, 'maxReadahead'>> & { maxReadahead: number | undefined };

/**
 * Checks session options and fills in the defaults.
 * @throws ERR_OUT_OF_RANGE, ERR_INVALID_ARG_TYPE
 */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const seconds = (name: string, value: number | undefined): number => {
    if (value === undefined) return 1;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw outOfRange(name, 'a finite number >= 0', value);
    }
    return value;
  };
  return {
    maxWrite: checkOption('maxWrite', options.maxWrite ?? 128 * 1024, 4096, 1024 * 1024, 4096),
    maxReadahead: options.maxReadahead === undefined ? undefined : checkOption('maxReadahead', options.maxReadahead, 0, 0xffffffff),
    maxBackground: checkOption('maxBackground', options.maxBackground ?? 64, 1, 65535),
    entryTimeout: seconds('entryTimeout', options.entryTimeout),
    attrTimeout: seconds('attrTimeout', options.attrTimeout),
    readdirPlus: options.readdirPlus === true,
    atomicTruncate: options.atomicTruncate === true,
  };
}

export class FuseSession extends EventEmitter {
  readonly #fd: FdHandle;
  readonly #ops: FuseOperations;
  readonly #maxWrite: number;
  readonly #bufferSize: number;
  readonly #options: ResolvedSessionOptions;
  #buffer: Buffer;
  #poller: FdPoller | null = null;
  #initialized = false;
  #protocol = { major: 0, minor: 0 };
  #closed = false;
  /** The kernel's reference count per node id, as entry replies and FORGETs tell it. */
  readonly #lookups = new Map<number, number>();
  /** Requests whose operation is still running, for INTERRUPT. */
  readonly #pending = new Map<number, Context>();

  /**
   * Serves the FUSE connection on `fd` (an open /dev/fuse), which the
   * session owns from now on. Call start() to begin.
   * Events: 'init' ({ major, minor }), 'close' (reason: 'unmounted' when
   * the kernel ended the connection, 'closed' after close(), 'error'),
   * 'error' (an operation threw something that is not an errno error, or a
   * reply could not be written; emitted only when listened to).
   * @throws ERR_OUT_OF_RANGE for bad options
   */
  constructor(fd: number | FdHandle, operations: FuseOperations, options: SessionOptions = {}) {
    super();
    this.#options = resolveSessionOptions(options);
    this.#maxWrite = this.#options.maxWrite;
    // A request is a header, an op struct and the data of one WRITE.
    this.#bufferSize = Math.max(FUSE_MIN_READ_BUFFER, this.#maxWrite + 4096);
    this.#buffer = Buffer.allocUnsafe(this.#bufferSize);
    this.#ops = operations;
    this.#fd = fd instanceof FdHandle ? fd : new FdHandle(fd);
  }

  /** The negotiated protocol version (0.0 before INIT). */
  get protocol(): { major: number; minor: number } {
    return { ...this.#protocol };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Requests whose operation has not finished yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Starts reading requests. @throws EBADF when the fd is not usable */
  start(): this {
    if (this.#poller || this.#closed) return this;
    setNonBlocking(this.#fd, true);
    this.#poller = new FdPoller(this.#fd, () => this.#readRequests());
    this.#poller.start('readable');
    return this;
  }

  /**
   * Stops serving and closes the fd. If the file system is still mounted,
   * the kernel aborts the connection: its users get ENOTCONN. Replies of
   * operations still running are dropped; their signals abort.
   */
  close(): void {
    this.#end('closed');
  }

  #end(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller?.close();
    this.#poller = null;
    this.#fd.close();
    for (const ctx of this.#pending.values()) ctx.abort();
    this.#pending.clear();
    this.#lookups.clear();
    if (this.#initialized) this.#callQuietly(() => this.#ops.destroy?.());
    this.emit('close', reason);
  }

  #report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #callQuietly(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#report(err);
    }
  }

  #readRequests(): void {
    for (let i = 0; i < MAX_READS_PER_WAKE && !this.#closed; i++) {
      let n: number | null;
      try {
        n = readNonBlocking(this.#fd, this.#buffer, 0, this.#bufferSize);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // ENOENT: the request was interrupted while being read; just go on.
        if (code === 'ENOENT' || code === 'EINTR') continue;
        if (code === 'ENODEV' || code === 'ECONNABORTED') return this.#end('unmounted');
        this.#report(err);
        return this.#end('error');
      }
      if (n === null) return;
      if (n === 0) return this.#end('unmounted');
      this.#dispatch(this.#buffer, n);
    }
  }

  #dispatch(buf: Buffer, n: number): void {
    let h: InHeader;
    try {
      h = decodeInHeader(buf.subarray(0, n));
    } catch (err) {
      this.#report(err);
      return;
    }
    if (h.len !== n || h.totalExtlen * 8 > n - IN_HEADER_SIZE) {
      this.#report(new Error(`FUSE request ${h.unique}: header says ${h.len} bytes, read ${n}`));
      return this.#replyError(h.unique, E.EIO);
    }
    const body = buf.subarray(IN_HEADER_SIZE, n - h.totalExtlen * 8);
    if (!this.#initialized && h.opcode !== Opcode.INIT) return this.#replyError(h.unique, E.EIO);
    const handler = HANDLERS.get(h.opcode);
    if (!handler) return NO_REPLY.has(h.opcode) ? undefined : this.#replyError(h.unique, E.ENOSYS);
    try {
      handler.call(this, h, body);
    } catch (err) {
      if (NO_REPLY.has(h.opcode)) this.#report(err);
      else this.#fail(h.unique, err);
    }
  }

  // ---- replies ----

  /** Writes one reply (header included in `parts[0]`); false when the kernel no longer wants it. */
  #send(parts: Uint8Array | Uint8Array[]): boolean {
    if (this.#closed) return false;
    try {
      if (writeNonBlocking(this.#fd, parts) !== null) return true;
      // /dev/fuse takes every reply at once; a full socket in its place is a broken peer.
      this.#report(new Error('FUSE reply not taken (EAGAIN)'));
    } catch (err) {
      const code = (err as { code?: string }).code;
      // ENOENT: the request was interrupted and is gone; its caller has moved on.
      if (code === 'ENODEV' || code === 'ECONNABORTED') this.#end('unmounted');
      else if (code !== 'ENOENT') this.#report(err);
    }
    return false;
  }

  /** A reply buffer with room for `bodySize` bytes after the header. */
  #out(unique: number, bodySize: number): Buffer {
    const buf = Buffer.allocUnsafe(OUT_HEADER_SIZE + bodySize);
    encodeOutHeader(buf, buf.length, 0, unique);
    return buf;
  }

  #replyError(unique: number, errno: number): void {
    const buf = Buffer.allocUnsafe(OUT_HEADER_SIZE);
    encodeOutHeader(buf, OUT_HEADER_SIZE, -errno, unique);
    this.#send(buf);
  }

  #replyEmpty(unique: number): void {
    this.#send(this.#out(unique, 0));
  }

  #fail(unique: number, err: unknown): void {
    if (!hasErrnoShape(err)) this.#report(err);
    this.#replyError(unique, errnoOf(err));
  }

  /**
   * Runs an operation and replies with `reply(result)`: at once when it
   * returns a value, when it settles when it returns a promise.
   */
  #run<T>(h: InHeader, invoke: (ctx: RequestContext) => T | Promise<T>, reply: (value: T) => void): void {
    const ctx = new Context(h.uid, h.gid, h.pid, h.unique);
    let result: T | Promise<T>;
    try {
      result = invoke(ctx);
    } catch (err) {
      return this.#fail(h.unique, err);
    }
    const finish = (value: T): void => {
      try {
        reply(value);
      } catch (err) {
        // The operation returned something no reply can carry: a bug to report.
        this.#report(err);
        this.#replyError(h.unique, E.EIO);
      }
    };
    if (!isThenable(result)) return finish(result);
    this.#pending.set(h.unique, ctx);
    result.then(
      (value) => {
        if (this.#pending.delete(h.unique)) finish(value);
      },
      (err) => {
        if (this.#pending.delete(h.unique)) this.#fail(h.unique, err);
      },
    );
  }

  #entryOut(entry: Entry): EntryOut {
    const nodeid = entry.nodeid ?? entry.attr.ino;
    if (!Number.isSafeInteger(nodeid) || nodeid <= 0) throw fuseError('EIO', `bad node id ${nodeid}`);
    return {
      nodeid,
      generation: entry.generation ?? 0,
      entryValid: validity(entry.entryTimeout ?? this.#options.entryTimeout),
      attrValid: validity(entry.attrTimeout ?? this.#options.attrTimeout),
      attr: toFuseAttr(entry.attr),
    };
  }

  #remember(nodeid: number): void {
    this.#lookups.set(nodeid, (this.#lookups.get(nodeid) ?? 0) + 1);
  }

  #dropReferences(nodeid: number, nlookup: number): void {
    const left = (this.#lookups.get(nodeid) ?? 0) - nlookup;
    if (left > 0) {
      this.#lookups.set(nodeid, left);
      return;
    }
    this.#lookups.delete(nodeid);
    this.#callQuietly(() => this.#ops.forget?.(nodeid));
  }

  /** Replies with an entry (and, for create, an open handle) and counts the kernel's new reference. */
  #replyEntry(unique: number, entry: Entry, open?: OpenResult): void {
    const out = this.#entryOut(entry);
    const buf = this.#out(unique, ENTRY_OUT_SIZE + (open ? OPEN_OUT_SIZE : 0));
    writeEntryOut(buf, OUT_HEADER_SIZE, out);
    if (open) writeOpenOut(buf, OUT_HEADER_SIZE + ENTRY_OUT_SIZE, open.fh ?? 0, openFlags(open));
    if (this.#send(buf)) this.#remember(out.nodeid);
  }

  #replyAttr(unique: number, attr: Attr): void {
    const buf = this.#out(unique, ATTR_OUT_SIZE);
    writeAttrOut(buf, OUT_HEADER_SIZE, validity(this.#options.attrTimeout), toFuseAttr(attr));
    this.#send(buf);
  }

  #replyOpen(unique: number, open: OpenResult | undefined): void {
    const buf = this.#out(unique, OPEN_OUT_SIZE);
    writeOpenOut(buf, OUT_HEADER_SIZE, open?.fh ?? 0, openFlags(open));
    this.#send(buf);
  }

  // ---- handlers, one per opcode ----

  static {
    const table: [number, Handler][] = [
      [Opcode.INIT, function (h, body) { this.#init(h, body); }],
      [Opcode.DESTROY, function (h) { this.#destroy(h); }],
      [Opcode.LOOKUP, function (h, body) { this.#lookup(h, body); }],
      [Opcode.FORGET, function (h, body) { this.#forget(h, body); }],
      [Opcode.BATCH_FORGET, function (h, body) { this.#batchForget(h, body); }],
      [Opcode.GETATTR, function (h, body) { this.#getattr(h, body); }],
      [Opcode.SETATTR, function (h, body) { this.#setattr(h, body); }],
      [Opcode.MKDIR, function (h, body) { this.#mkdir(h, body); }],
      [Opcode.UNLINK, function (h, body) { this.#unlink(h, body); }],
      [Opcode.RMDIR, function (h, body) { this.#rmdir(h, body); }],
      [Opcode.RENAME, function (h, body) { this.#rename(h, body, false); }],
      [Opcode.RENAME2, function (h, body) { this.#rename(h, body, true); }],
      [Opcode.OPEN, function (h, body) { this.#open(h, body, false); }],
      [Opcode.OPENDIR, function (h, body) { this.#open(h, body, true); }],
      [Opcode.CREATE, function (h, body) { this.#create(h, body); }],
      [Opcode.READ, function (h, body) { this.#read(h, body); }],
      [Opcode.WRITE, function (h, body) { this.#write(h, body); }],
      [Opcode.STATFS, function (h) { this.#statfs(h); }],
      [Opcode.RELEASE, function (h, body) { this.#release(h, body, false); }],
      [Opcode.RELEASEDIR, function (h, body) { this.#release(h, body, true); }],
      [Opcode.FLUSH, function (h, body) { this.#flush(h, body); }],
      [Opcode.FSYNC, function (h, body) { this.#fsync(h, body); }],
      [Opcode.ACCESS, function (h, body) { this.#access(h, body); }],
      [Opcode.READDIR, function (h, body) { this.#readdir(h, body, false); }],
      [Opcode.READDIRPLUS, function (h, body) { this.#readdir(h, body, true); }],
      [Opcode.INTERRUPT, function (h, body) { this.#interrupt(h, body); }],
      [Opcode.GETXATTR, function (h, body) { this.#getxattr(h, body); }],
      [Opcode.LISTXATTR, function (h, body) { this.#listxattr(h, body); }],
      [Opcode.SETXATTR, function (h) { this.#replyError(h.unique, E.ENOTSUP); }],
      [Opcode.REMOVEXATTR, function (h) { this.#replyError(h.unique, E.ENOTSUP); }],
    ];
    for (const [opcode, handler] of table) HANDLERS.set(opcode, handler);
  }

  #init(h: InHeader, body: Buffer): void {
    const init = decodeInitIn(body);
    if (init.major > FUSE_KERNEL_VERSION) {
      // Answer only our major version; the kernel then sends INIT again.
      const buf = this.#out(h.unique, 8);
      writeInitOut(buf, OUT_HEADER_SIZE, { major: FUSE_KERNEL_VERSION, minor: FUSE_KERNEL_MINOR_VERSION, maxReadahead: 0, flags: 0, maxBackground: 0, congestionThreshold: 0, maxWrite: 0, timeGran: 0, maxPages: 0 }, 8);
      this.#send(buf);
      return;
    }
    if (this.#initialized || init.major < FUSE_KERNEL_VERSION || init.minor < FUSE_MIN_KERNEL_MINOR) {
      this.#report(new Error(`FUSE INIT ${init.major}.${init.minor} refused`));
      return this.#replyError(h.unique, E.EPROTO);
    }
    const minor = Math.min(init.minor, FUSE_KERNEL_MINOR_VERSION);
    const wanted = InitFlag.ASYNC_READ | InitFlag.BIG_WRITES | InitFlag.PARALLEL_DIROPS | InitFlag.AUTO_INVAL_DATA |
      InitFlag.MAX_PAGES | (this.#options.readdirPlus ? InitFlag.DO_READDIRPLUS : 0) |
      (this.#options.atomicTruncate ? InitFlag.ATOMIC_O_TRUNC : 0);
    const size = minor >= 23 ? INIT_OUT_SIZE : INIT_OUT_COMPAT_22_SIZE;
    const buf = this.#out(h.unique, size);
    writeInitOut(buf, OUT_HEADER_SIZE, {
      major: FUSE_KERNEL_VERSION,
      minor,
      maxReadahead: Math.min(init.maxReadahead, this.#options.maxReadahead ?? init.maxReadahead),
      flags: init.flags & wanted,
      maxBackground: this.#options.maxBackground,
      congestionThreshold: Math.max(1, Math.floor((this.#options.maxBackground * 3) / 4)),
      maxWrite: this.#maxWrite,
      timeGran: 1,
      maxPages: this.#maxWrite / 4096,
    }, size);
    this.#initialized = true;
    this.#protocol = { major: FUSE_KERNEL_VERSION, minor };
    this.#send(buf);
    this.#callQuietly(() => this.#ops.init?.({ ...this.#protocol }));
    this.emit('init', { ...this.#protocol });
  }

  #destroy(h: InHeader): void {
    this.#callQuietly(() => this.#ops.destroy?.());
    this.#initialized = false;
    this.#replyEmpty(h.unique);
  }

  #lookup(h: InHeader, body: Buffer): void {
    const { name } = readName(body, 0);
    this.#run(h, (ctx) => this.#ops.lookup(ctx, h.nodeid, name), (entry) => this.#replyEntry(h.unique, entry));
  }

  #forget(h: InHeader, body: Buffer): void {
    this.#dropReferences(h.nodeid, decodeForgetIn(body).nlookup);
  }

  #batchForget(_h: InHeader, body: Buffer): void {
    for (const one of decodeBatchForgetIn(body)) this.#dropReferences(one.nodeid, one.nlookup);
  }

  #getattr(h: InHeader, body: Buffer): void {
    const arg = body.length >= 16 ? decodeGetattrIn(body) : { getattrFlags: 0, fh: 0 };
    const fh = arg.getattrFlags & FUSE_GETATTR_FH ? arg.fh : undefined;
    this.#run(h, (ctx) => this.#ops.getattr(ctx, h.nodeid, fh), (attr) => this.#replyAttr(h.unique, attr));
  }

  #setattr(h: InHeader, body: Buffer): void {
    const arg = decodeSetattrIn(body);
    const setattr = this.#ops.setattr;
    if (!setattr) return this.#replyError(h.unique, E.ENOSYS);
    const changes = toAttrChanges(arg);
    const fh = arg.valid & FATTR.FH ? arg.fh : undefined;
    this.#run(h, (ctx) => setattr.call(this.#ops, ctx, h.nodeid, changes, fh), (attr) => this.#replyAttr(h.unique, attr));
  }

  #mkdir(h: InHeader, body: Buffer): void {
    const arg = decodeMkdirIn(body);
    const mkdir = this.#ops.mkdir;
    if (!mkdir) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => mkdir.call(this.#ops, ctx, h.nodeid, arg.name, arg.mode, arg.umask), (entry) => this.#replyEntry(h.unique, entry));
  }

  #unlink(h: InHeader, body: Buffer): void {
    const { name } = readName(body, 0);
    const unlink = this.#ops.unlink;
    if (!unlink) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => unlink.call(this.#ops, ctx, h.nodeid, name), () => this.#replyEmpty(h.unique));
  }

  #rmdir(h: InHeader, body: Buffer): void {
    const { name } = readName(body, 0);
    const rmdir = this.#ops.rmdir;
    if (!rmdir) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => rmdir.call(this.#ops, ctx, h.nodeid, name), () => this.#replyEmpty(h.unique));
  }

  #rename(h: InHeader, body: Buffer, rename2 = false): void {
    const arg = decodeRenameIn(body, rename2);
    const rename = this.#ops.rename;
    if (!rename) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => rename.call(this.#ops, ctx, h.nodeid, arg.oldName, arg.newdir, arg.newName, arg.flags), () => this.#replyEmpty(h.unique));
  }

  #open(h: InHeader, body: Buffer, dir = false): void {
    const arg = decodeOpenIn(body);
    const open = dir ? this.#ops.opendir : this.#ops.open;
    if (!open) return this.#replyOpen(h.unique, undefined);
    this.#run(h, (ctx) => open.call(this.#ops, ctx, h.nodeid, arg.flags), (result) => this.#replyOpen(h.unique, result));
  }

  #create(h: InHeader, body: Buffer): void {
    const arg = decodeCreateIn(body);
    const create = this.#ops.create;
    if (!create) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => create.call(this.#ops, ctx, h.nodeid, arg.name, arg.mode, arg.umask, arg.flags), (result) => this.#replyEntry(h.unique, result.entry, result));
  }

  #read(h: InHeader, body: Buffer): void {
    const arg = decodeReadIn(body);
    const read = this.#ops.read;
    if (!read) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => read.call(this.#ops, ctx, h.nodeid, arg.fh, arg.offset, arg.size), (data) => {
      const bytes = data.byteLength > arg.size ? data.subarray(0, arg.size) : data;
      const header = Buffer.allocUnsafe(OUT_HEADER_SIZE);
      encodeOutHeader(header, OUT_HEADER_SIZE + bytes.byteLength, 0, h.unique);
      this.#send(bytes.byteLength > 0 ? [header, bytes] : header);
    });
  }

  #write(h: InHeader, body: Buffer): void {
    const arg = decodeWriteIn(body);
    const write = this.#ops.write;
    if (!write) return this.#replyError(h.unique, E.ENOSYS);
    // Hand the read buffer itself to the file system and read the next
    // request into a fresh one: no copy of the data.
    this.#buffer = Buffer.allocUnsafe(this.#bufferSize);
    this.#run(h, (ctx) => write.call(this.#ops, ctx, h.nodeid, arg.fh, arg.offset, arg.data), (written) => {
      const buf = this.#out(h.unique, WRITE_OUT_SIZE);
      writeWriteOut(buf, OUT_HEADER_SIZE, written);
      this.#send(buf);
    });
  }

  #statfs(h: InHeader): void {
    const statfs = this.#ops.statfs;
    this.#run(h, (ctx) => (statfs ? statfs.call(this.#ops, ctx, h.nodeid) : DEFAULT_STATFS), (st) => {
      const buf = this.#out(h.unique, STATFS_OUT_SIZE);
      writeStatfsOut(buf, OUT_HEADER_SIZE, st);
      this.#send(buf);
    });
  }

  #release(h: InHeader, body: Buffer, dir = false): void {
    const arg = decodeReleaseIn(body);
    const ops = this.#ops;
    this.#run(h, (ctx) => (dir ? ops.releasedir?.(ctx, h.nodeid, arg.fh) : ops.release?.(ctx, h.nodeid, arg.fh, arg.flags)), () => this.#replyEmpty(h.unique));
  }

  #flush(h: InHeader, body: Buffer): void {
    const { fh } = decodeFlushIn(body);
    const flush = this.#ops.flush;
    if (!flush) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => flush.call(this.#ops, ctx, h.nodeid, fh), () => this.#replyEmpty(h.unique));
  }

  #fsync(h: InHeader, body: Buffer): void {
    const arg = decodeFsyncIn(body);
    const fsync = this.#ops.fsync;
    if (!fsync) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => fsync.call(this.#ops, ctx, h.nodeid, arg.fh, (arg.fsyncFlags & FUSE_FSYNC_FDATASYNC) !== 0), () => this.#replyEmpty(h.unique));
  }

  #access(h: InHeader, body: Buffer): void {
    const { mask } = decodeAccessIn(body);
    const access = this.#ops.access;
    if (!access) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => access.call(this.#ops, ctx, h.nodeid, mask), () => this.#replyEmpty(h.unique));
  }

  #readdir(h: InHeader, body: Buffer, plus = false): void {
    const arg = decodeReadIn(body);
    this.#run(h, (ctx) => this.#ops.readdir(ctx, h.nodeid, arg.fh, arg.offset), (entries) => {
      const buf = this.#out(h.unique, arg.size);
      const limit = buf.length;
      let at = OUT_HEADER_SIZE;
      let index = arg.offset;
      const counted: number[] = [];
      for (const e of entries as Iterable<DirEntry>) {
        const name = Buffer.from(e.name, 'utf8');
        if (name.length === 0 || name.length > FUSE_NAME_MAX || name.includes(0x2f) || name.includes(0)) {
          throw fuseError('EIO', `readdir: bad name ${JSON.stringify(e.name)}`);
        }
        const dot = e.name === '.' || e.name === '..';
        const entry = plus && e.entry && !dot ? this.#entryOut(e.entry) : undefined;
        const next = writeDirent(buf, at, limit, { ino: e.ino, off: index + 1, type: direntType(e.mode), name }, plus, entry);
        if (next < 0) break;
        if (entry) counted.push(entry.nodeid);
        at = next;
        index++;
      }
      encodeOutHeader(buf, at, 0, h.unique);
      if (this.#send(buf.subarray(0, at))) for (const nodeid of counted) this.#remember(nodeid);
    });
  }

  #getxattr(h: InHeader, body: Buffer): void {
    const { size } = decodeGetxattrIn(body);
    const { name } = readName(body, GETXATTR_IN_SIZE);
    const getxattr = this.#ops.getxattr;
    if (!getxattr) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => getxattr.call(this.#ops, ctx, h.nodeid, name), (value) => this.#replyXattr(h.unique, size, value));
  }

  #listxattr(h: InHeader, body: Buffer): void {
    const { size } = decodeGetxattrIn(body);
    const listxattr = this.#ops.listxattr;
    if (!listxattr) return this.#replyError(h.unique, E.ENOSYS);
    this.#run(h, (ctx) => listxattr.call(this.#ops, ctx, h.nodeid), (names) => {
      this.#replyXattr(h.unique, size, Buffer.concat(names.map((name) => Buffer.from(`${name}\0`, 'utf8'))));
    });
  }

  /** An attribute's value (or a name list): its length when the caller asks with size 0, ERANGE when it does not fit. */
  #replyXattr(unique: number, size: number, value: Uint8Array): void {
    if (size === 0) {
      const buf = this.#out(unique, GETXATTR_OUT_SIZE);
      writeGetxattrOut(buf, OUT_HEADER_SIZE, value.length);
      this.#send(buf);
      return;
    }
    if (value.length > size) return this.#replyError(unique, E.ERANGE);
    const buf = this.#out(unique, value.length);
    buf.set(value, OUT_HEADER_SIZE);
    this.#send(buf);
  }

  #interrupt(_h: InHeader, body: Buffer): void {
    this.#pending.get(decodeInterruptIn(body).unique)?.abort();
  }
}
