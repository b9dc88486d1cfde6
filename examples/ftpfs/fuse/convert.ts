// Conversions between the operations' plain units (milliseconds, seconds,
// optional fields) and the kernel's struct fields (seconds + nanoseconds,
// valid bits, DT_* types). Pure.
import { FATTR, FOPEN, type FuseAttr, type SetattrIn, type Validity } from './abi.js';
import type { Attr, AttrChanges, OpenResult } from './operations.js';

/** A cache lifetime in seconds as whole seconds plus nanoseconds. */
export function validity(seconds: number): Validity {
  const s = Math.max(0, seconds);
  const sec = Math.floor(s);
  return { sec, nsec: Math.min(999_999_999, Math.round((s - sec) * 1e9)) };
}

function splitMs(ms: number): [number, number] {
  let sec = Math.floor(ms / 1000);
  let nsec = Math.round((ms - sec * 1000) * 1e6);
  if (nsec >= 1e9) {
    sec++;
    nsec -= 1e9;
  }
  return [sec, nsec];
}

function joinMs(sec: number, nsec: number): number {
  return sec * 1000 + nsec / 1e6;
}

/** An Attr (milliseconds, optional fields) as the kernel's fuse_attr (seconds + nanoseconds, defaults filled in). */
export function toFuseAttr(a: Attr): FuseAttr {
  const [atime, atimensec] = splitMs(a.atimeMs);
  const [mtime, mtimensec] = splitMs(a.mtimeMs);
  const [ctime, ctimensec] = splitMs(a.ctimeMs);
  return {
    ino: a.ino, size: a.size, blocks: a.blocks ?? Math.ceil(a.size / 512),
    atime, mtime, ctime, atimensec, mtimensec, ctimensec,
    mode: a.mode, nlink: a.nlink, uid: a.uid, gid: a.gid, rdev: a.rdev ?? 0, blksize: a.blksize ?? 4096,
  };
}

/** The FOPEN_* bits for an open, opendir or create result. */
export function openFlags(r: OpenResult | undefined): number {
  if (!r) return 0;
  return (r.directIo ? FOPEN.DIRECT_IO : 0) | (r.keepCache ? FOPEN.KEEP_CACHE : 0) |
    (r.nonSeekable ? FOPEN.NONSEEKABLE : 0) | (r.cacheDir ? FOPEN.CACHE_DIR : 0) | (r.noFlush ? FOPEN.NOFLUSH : 0);
}

/** The changes a SETATTR asks for, from its valid bits. */
export function toAttrChanges(arg: SetattrIn): AttrChanges {
  const changes: AttrChanges = {};
  if (arg.valid & FATTR.MODE) changes.mode = arg.mode;
  if (arg.valid & FATTR.UID) changes.uid = arg.uid;
  if (arg.valid & FATTR.GID) changes.gid = arg.gid;
  if (arg.valid & FATTR.SIZE) changes.size = arg.size;
  if (arg.valid & FATTR.ATIME) changes.atimeMs = arg.valid & FATTR.ATIME_NOW ? 'now' : joinMs(arg.atime, arg.atimensec);
  if (arg.valid & FATTR.MTIME) changes.mtimeMs = arg.valid & FATTR.MTIME_NOW ? 'now' : joinMs(arg.mtime, arg.mtimensec);
  if (arg.valid & FATTR.CTIME) changes.ctimeMs = joinMs(arg.ctime, arg.ctimensec);
  return changes;
}

/** The DT_* type of a dirent: the S_IFMT bits of a mode, shifted down. */
export function direntType(mode: number): number {
  return (mode >>> 12) & 0xf;
}
