// The interface a file system implements to be served by FuseSession: the
// low-level FUSE operations on node ids, with values in plain units
// (milliseconds, bytes, mode bits), and how thrown errors become errnos.
import os from 'node:os';
import type { Kstatfs } from './abi.js';

/** Who asks, and a signal that aborts when the kernel interrupts the request. */
export interface RequestContext {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  /** The kernel's id of this request. */
  readonly unique: number;
  /** Aborts when the kernel sends INTERRUPT for this request (the caller got a signal). */
  readonly signal: AbortSignal;
}

/** The attributes of a node, as stat(2) shows them. */
export interface Attr {
  ino: number;
  /** File type and permission bits (S_IFREG | 0o644, S_IFDIR | 0o755, ...). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  /** 512-byte blocks allocated; default ceil(size / 512). */
  blocks?: number;
  /** Preferred I/O size (st_blksize): cp and friends use it as their buffer size. Default 4096. */
  blksize?: number;
  rdev?: number;
}

/** A name resolved to a node: the reply of lookup, mkdir, create. */
export interface Entry {
  /** The id the kernel uses for this node from now on; default attr.ino. Never 0 or 1 (the root) for a child. */
  nodeid?: number;
  generation?: number;
  attr: Attr;
  /** Seconds the kernel may cache the name; default the session's entryTimeout. */
  entryTimeout?: number;
  /** Seconds the kernel may cache the attributes; default the session's attrTimeout. */
  attrTimeout?: number;
}

/** Attributes to change (setattr): only the present fields. */
export interface AttrChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  /** Truncate or extend to this size. */
  size?: number;
  /** A time in milliseconds, or 'now'. */
  atimeMs?: number | 'now';
  mtimeMs?: number | 'now';
  ctimeMs?: number;
}

/** What open, opendir and create tell the kernel about the new handle. */
export interface OpenResult {
  /** The file system's handle for this open file; passed back to read, write, release, ... */
  fh?: number;
  /** Bypass the page cache: every read and write reaches the file system. */
  directIo?: boolean;
  /** Keep cached pages from earlier opens (the file has not changed since). */
  keepCache?: boolean;
  nonSeekable?: boolean;
  /** No FLUSH at each close(2) of the file (one with nothing to flush: opened for reading). */
  noFlush?: boolean;
  /** opendir only: let the kernel cache the directory's entries. */
  cacheDir?: boolean;
}

export interface CreateResult extends OpenResult {
  entry: Entry;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** The file type bits (S_IFDIR, S_IFREG, ...); permission bits are ignored. */
  mode: number;
  /** The node's entry, for READDIRPLUS (mounted with readdirPlus): saves a lookup per name. */
  entry?: Entry;
}

/** What statfs answers: the kernel's struct kstatfs, field for field. */
export type StatFs = Kstatfs;

type Maybe<T> = T | Promise<T>;

/**
 * A file system served over FUSE. Node ids are chosen by the file system
 * (Entry.nodeid, default the inode number); 1 is the root. Every method
 * may return a value or a promise, and many calls may be in flight at
 * once. Errors are thrown as objects with a `code` ('ENOENT') or an `errno`
 * (2 or -2, as Node's); anything else becomes EIO. A missing optional
 * method answers ENOSYS, except where noted.
 *
 * The session counts the kernel's references to each node id (every entry
 * it replies with, including READDIRPLUS) and calls forget() when the count
 * drops to zero: from then on the kernel will not use that id again until
 * a lookup returns it anew.
 */
export interface FuseOperations {
  /** The connection is set up (INIT done). */
  init?(info: { major: number; minor: number }): void;
  /** The kernel is done with the file system (DESTROY, or the end of the session). */
  destroy?(): void;

  lookup(ctx: RequestContext, parent: number, name: string): Maybe<Entry>;
  forget?(nodeid: number): void;
  getattr(ctx: RequestContext, nodeid: number, fh: number | undefined): Maybe<Attr>;
  /** Truncate (size), utimens (atimeMs/mtimeMs), chmod, chown. */
  setattr?(ctx: RequestContext, nodeid: number, changes: AttrChanges, fh: number | undefined): Maybe<Attr>;

  mkdir?(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): Maybe<Entry>;
  unlink?(ctx: RequestContext, parent: number, name: string): Maybe<void>;
  rmdir?(ctx: RequestContext, parent: number, name: string): Maybe<void>;
  /** `flags`: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2); throw EINVAL for flags not supported. */
  rename?(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): Maybe<void>;

  /** Missing: every open succeeds with fh 0. `flags` are open(2)'s (O_ACCMODE, O_APPEND, O_TRUNC with atomicTruncate...). */
  open?(ctx: RequestContext, nodeid: number, flags: number): Maybe<OpenResult>;
  /** Create and open a regular file; missing: ENOSYS, so files cannot be created. */
  create?(ctx: RequestContext, parent: number, name: string, mode: number, umask: number, flags: number): Maybe<CreateResult>;
  /** Up to `size` bytes at `offset`; fewer only at end of file (or always, with directIo). */
  read?(ctx: RequestContext, nodeid: number, fh: number, offset: number, size: number): Maybe<Uint8Array>;
  /** Returns the bytes written; `data` belongs to the callee (it is not reused by the session). */
  write?(ctx: RequestContext, nodeid: number, fh: number, offset: number, data: Buffer): Maybe<number>;
  /** Called on each close(2) of a file descriptor (there may be several per open). */
  flush?(ctx: RequestContext, nodeid: number, fh: number): Maybe<void>;
  /** The last reference to the open file is gone; the reply cannot reach the closer. Missing: success. */
  release?(ctx: RequestContext, nodeid: number, fh: number, flags: number): Maybe<void>;
  fsync?(ctx: RequestContext, nodeid: number, fh: number, datasync: boolean): Maybe<void>;

  /** Missing: every opendir succeeds with fh 0. */
  opendir?(ctx: RequestContext, nodeid: number, flags: number): Maybe<OpenResult>;
  /**
   * The entries from position `offset` on (0 is the first; include "." and
   * ".." where they belong). The session packs as many as fit and calls
   * again with the position after the last one sent; keep a listing
   * stable per fh (snapshot it in opendir) so positions stay meaningful.
   */
  readdir(ctx: RequestContext, nodeid: number, fh: number, offset: number): Maybe<Iterable<DirEntry>>;
  /** Missing: success. */
  releasedir?(ctx: RequestContext, nodeid: number, fh: number): Maybe<void>;

  /** Missing: a small default (no blocks, 255-byte names). */
  statfs?(ctx: RequestContext, nodeid: number): Maybe<StatFs>;
  /** access(2) checks; missing: the kernel stops asking (mounted with default_permissions it checks itself). */
  access?(ctx: RequestContext, nodeid: number, mask: number): Maybe<void>;

  /**
   * The value of extended attribute `name`; throw ENODATA when the node has
   * none of that name. The session answers the kernel's size probes and
   * ERANGE. Missing: ENOSYS (the kernel then stops asking). Setting and
   * removing attributes is not offered: ENOTSUP.
   */
  getxattr?(ctx: RequestContext, nodeid: number, name: string): Maybe<Uint8Array>;
  /** The names of the node's extended attributes. Missing: ENOSYS. */
  listxattr?(ctx: RequestContext, nodeid: number): Maybe<string[]>;
}

const errnos = os.constants.errno as Record<string, number>;

/**
 * The positive errno for an error thrown by an operation: its `code` when
 * that names an errno ('ENOENT'), else its numeric `errno` (either sign),
 * EINTR for an AbortError, EIO for anything else.
 */
export function errnoOf(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const { code, errno, name } = err as { code?: unknown; errno?: unknown; name?: unknown };
    if (typeof code === 'string' && Object.hasOwn(errnos, code)) return errnos[code]!;
    if (typeof errno === 'number' && Number.isInteger(errno) && errno !== 0 && Math.abs(errno) < 4096) return Math.abs(errno);
    if (name === 'AbortError' || code === 'ABORT_ERR') return errnos.EINTR!;
  }
  return errnos.EIO!;
}

/** An error to throw from an operation: `fuseError('ENOENT')`; `cause`, if any, is kept. */
export function fuseError(code: keyof typeof os.constants.errno, message?: string, cause?: unknown): Error & { code: string; errno: number } {
  const errno = errnos[code];
  if (errno === undefined) throw new RangeError(`unknown errno code ${String(code)}`);
  return Object.assign(new Error(message ?? code, cause === undefined ? undefined : { cause }), { code, errno: -errno });
}
