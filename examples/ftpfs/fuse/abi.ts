// The kernel's FUSE ABI (linux/fuse.h), the subset this server speaks:
// protocol 7.31, opcodes, flags, and codecs for the request and reply
// structs on host byte order (little-endian: x86-64, arm64). Pure: no I/O.
import os from 'node:os';

if (os.endianness() !== 'LE') throw new Error('ftpfs/fuse: the FUSE codecs assume a little-endian host');

export const FUSE_KERNEL_VERSION = 7;
/** The minor version implemented here; the kernel uses min(its own, this). */
export const FUSE_KERNEL_MINOR_VERSION = 31;
/** Oldest kernel minor accepted (2.6.32: BATCH_FORGET is 7.16, the 40-byte read/write structs 7.9). */
export const FUSE_MIN_KERNEL_MINOR = 12;
export const FUSE_ROOT_ID = 1;
/** The kernel refuses to read requests into a smaller buffer. */
export const FUSE_MIN_READ_BUFFER = 8192;

export const Opcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
} as const;

/** fuse_init_in/out flags (the first 32 bits). */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  WRITEBACK_CACHE: 1 << 16,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  ABORT_ERROR: 1 << 21,
  MAX_PAGES: 1 << 22,
} as const;

/** fuse_setattr_in.valid bits. */
export const FATTR = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
} as const;

/** fuse_open_out.open_flags. */
export const FOPEN = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  STREAM: 1 << 4,
  /** Linux 5.16 and later; earlier kernels ignore it. */
  NOFLUSH: 1 << 5,
} as const;

export const FUSE_GETATTR_FH = 1 << 0;
export const FUSE_RELEASE_FLUSH = 1 << 0;
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
/** Bit set in the unique of an INTERRUPT request (not in the unique it names). */
export const FUSE_INT_REQ_BIT = 1;

export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
export const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 128;
export const ATTR_OUT_SIZE = 104;
export const OPEN_OUT_SIZE = 16;
export const INIT_OUT_SIZE = 64;
/** fuse_init_out as kernels before 7.23 expect it. */
export const INIT_OUT_COMPAT_22_SIZE = 24;
export const WRITE_OUT_SIZE = 8;
export const STATFS_OUT_SIZE = 80;
export const DIRENT_HEADER_SIZE = 24;
export const DIRENTPLUS_HEADER_SIZE = ENTRY_OUT_SIZE + DIRENT_HEADER_SIZE;
/** The longest name a dirent may carry (FUSE_NAME_MAX). */
export const FUSE_NAME_MAX = 1024;

const TWO_32 = 0x1_0000_0000;

/** A field that breaks the protocol: reported to the kernel as EIO. */
function brokenField(message: string): Error {
  return Object.assign(new RangeError(message), { code: 'EIO' });
}

/** A request the kernel should never send. */
function malformed(what: string): Error {
  return brokenField(`malformed FUSE request: ${what}`);
}

function need(body: Buffer, size: number, what: string): void {
  if (body.length < size) throw malformed(`${what} is ${body.length} bytes, needs ${size}`);
}

/** An unsigned 64-bit field as a number (exact below 2^53, which every id, offset and size here is). */
export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * TWO_32;
}

/** Writes a non-negative safe integer as an unsigned 64-bit field. */
export function writeU64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw brokenField(`not a u64: ${value}`);
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

/** Writes a safe integer as a signed 64-bit field (times before 1970 are negative). */
function writeI64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw brokenField(`not an i64: ${value}`);
  buf.writeBigInt64LE(BigInt(value), offset);
}

function readI64(buf: Buffer, offset: number): number {
  return Number(buf.readBigInt64LE(offset));
}

/** A NUL-terminated name at `offset`; `next` is the offset after the NUL. */
export function readName(body: Buffer, offset: number): { name: string; next: number } {
  const end = body.indexOf(0, offset);
  if (end < 0) throw malformed('name without a terminating NUL');
  return { name: body.toString('utf8', offset, end), next: end + 1 };
}

// ---- requests (kernel -> server) ----

export interface InHeader {
  len: number;
  opcode: number;
  unique: number;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
  /** Length of extensions at the end of the request, in 8-byte units (7.38+). */
  totalExtlen: number;
}

export function decodeInHeader(buf: Buffer): InHeader {
  need(buf, IN_HEADER_SIZE, 'fuse_in_header');
  return {
    len: buf.readUInt32LE(0),
    opcode: buf.readUInt32LE(4),
    unique: readU64(buf, 8),
    nodeid: readU64(buf, 16),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    totalExtlen: buf.readUInt16LE(36),
  };
}

export interface InitIn {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  /** The upper 32 flag bits (7.36+, with FUSE_INIT_EXT); 0 when absent. */
  flags2: number;
}

export function decodeInitIn(body: Buffer): InitIn {
  need(body, 8, 'fuse_init_in');
  // Kernels before 7.6 sent only major and minor; before 7.36, 16 bytes.
  return {
    major: body.readUInt32LE(0),
    minor: body.readUInt32LE(4),
    maxReadahead: body.length >= 16 ? body.readUInt32LE(8) : 0,
    flags: body.length >= 16 ? body.readUInt32LE(12) : 0,
    flags2: body.length >= 20 ? body.readUInt32LE(16) : 0,
  };
}

export function decodeForgetIn(body: Buffer): { nlookup: number } {
  need(body, 8, 'fuse_forget_in');
  return { nlookup: readU64(body, 0) };
}

export interface ForgetOne {
  nodeid: number;
  nlookup: number;
}

export function decodeBatchForgetIn(body: Buffer): ForgetOne[] {
  need(body, 8, 'fuse_batch_forget_in');
  const count = body.readUInt32LE(0);
  need(body, 8 + count * 16, 'fuse_batch_forget_in with its entries');
  const forgets: ForgetOne[] = [];
  for (let i = 0, at = 8; i < count; i++, at += 16) forgets.push({ nodeid: readU64(body, at), nlookup: readU64(body, at + 8) });
  return forgets;
}

export function decodeGetattrIn(body: Buffer): { getattrFlags: number; fh: number } {
  need(body, 16, 'fuse_getattr_in');
  return { getattrFlags: body.readUInt32LE(0), fh: readU64(body, 8) };
}

export interface SetattrIn {
  valid: number;
  fh: number;
  size: number;
  lockOwner: bigint;
  atime: number;
  mtime: number;
  ctime: number;
  atimensec: number;
  mtimensec: number;
  ctimensec: number;
  mode: number;
  uid: number;
  gid: number;
}

export function decodeSetattrIn(body: Buffer): SetattrIn {
  need(body, 88, 'fuse_setattr_in');
  return {
    valid: body.readUInt32LE(0),
    fh: readU64(body, 8),
    size: readU64(body, 16),
    lockOwner: body.readBigUInt64LE(24),
    atime: readI64(body, 32),
    mtime: readI64(body, 40),
    ctime: readI64(body, 48),
    atimensec: body.readUInt32LE(56),
    mtimensec: body.readUInt32LE(60),
    ctimensec: body.readUInt32LE(64),
    mode: body.readUInt32LE(68),
    uid: body.readUInt32LE(76),
    gid: body.readUInt32LE(80),
  };
}

export function decodeMkdirIn(body: Buffer): { mode: number; umask: number; name: string } {
  need(body, 8, 'fuse_mkdir_in');
  return { mode: body.readUInt32LE(0), umask: body.readUInt32LE(4), name: readName(body, 8).name };
}

export interface RenameIn {
  newdir: number;
  flags: number;
  oldName: string;
  newName: string;
}

/** RENAME (fuse_rename_in, 8 bytes) or RENAME2 (fuse_rename2_in, 16 bytes, with flags), then two names. */
export function decodeRenameIn(body: Buffer, rename2: boolean): RenameIn {
  const size = rename2 ? 16 : 8;
  need(body, size, rename2 ? 'fuse_rename2_in' : 'fuse_rename_in');
  const first = readName(body, size);
  return {
    newdir: readU64(body, 0),
    flags: rename2 ? body.readUInt32LE(8) : 0,
    oldName: first.name,
    newName: readName(body, first.next).name,
  };
}

export function decodeOpenIn(body: Buffer): { flags: number; openFlags: number } {
  need(body, 8, 'fuse_open_in');
  return { flags: body.readUInt32LE(0), openFlags: body.readUInt32LE(4) };
}

export function decodeCreateIn(body: Buffer): { flags: number; mode: number; umask: number; openFlags: number; name: string } {
  need(body, 16, 'fuse_create_in');
  return {
    flags: body.readUInt32LE(0),
    mode: body.readUInt32LE(4),
    umask: body.readUInt32LE(8),
    openFlags: body.readUInt32LE(12),
    name: readName(body, 16).name,
  };
}

export interface ReadIn {
  fh: number;
  offset: number;
  size: number;
  readFlags: number;
  lockOwner: bigint;
  flags: number;
}

/** fuse_read_in; READ, READDIR and READDIRPLUS all carry it. */
export function decodeReadIn(body: Buffer): ReadIn {
  need(body, 40, 'fuse_read_in');
  return {
    fh: readU64(body, 0),
    offset: readU64(body, 8),
    size: body.readUInt32LE(16),
    readFlags: body.readUInt32LE(20),
    lockOwner: body.readBigUInt64LE(24),
    flags: body.readUInt32LE(32),
  };
}

export interface WriteIn {
  fh: number;
  offset: number;
  size: number;
  writeFlags: number;
  lockOwner: bigint;
  flags: number;
  /** The bytes to write: a view into `body`, not a copy. */
  data: Buffer;
}

export function decodeWriteIn(body: Buffer): WriteIn {
  need(body, 40, 'fuse_write_in');
  const size = body.readUInt32LE(16);
  need(body, 40 + size, 'fuse_write_in with its data');
  return {
    fh: readU64(body, 0),
    offset: readU64(body, 8),
    size,
    writeFlags: body.readUInt32LE(20),
    lockOwner: body.readBigUInt64LE(24),
    flags: body.readUInt32LE(32),
    data: body.subarray(40, 40 + size),
  };
}

export function decodeReleaseIn(body: Buffer): { fh: number; flags: number; releaseFlags: number; lockOwner: bigint } {
  need(body, 24, 'fuse_release_in');
  return { fh: readU64(body, 0), flags: body.readUInt32LE(8), releaseFlags: body.readUInt32LE(12), lockOwner: body.readBigUInt64LE(16) };
}

export function decodeFlushIn(body: Buffer): { fh: number; lockOwner: bigint } {
  need(body, 24, 'fuse_flush_in');
  return { fh: readU64(body, 0), lockOwner: body.readBigUInt64LE(16) };
}

export function decodeFsyncIn(body: Buffer): { fh: number; fsyncFlags: number } {
  need(body, 16, 'fuse_fsync_in');
  return { fh: readU64(body, 0), fsyncFlags: body.readUInt32LE(8) };
}

export function decodeAccessIn(body: Buffer): { mask: number } {
  need(body, 8, 'fuse_access_in');
  return { mask: body.readUInt32LE(0) };
}

/** fuse_getxattr_in (GETXATTR, followed by the name; LISTXATTR): the caller's buffer size, 0 to ask for the length. */
export function decodeGetxattrIn(body: Buffer): { size: number } {
  need(body, 8, 'fuse_getxattr_in');
  return { size: body.readUInt32LE(0) };
}

export const GETXATTR_IN_SIZE = 8;
export const GETXATTR_OUT_SIZE = 8;

/** fuse_getxattr_out: the length of the value (or of the name list) for a size probe. */
export function writeGetxattrOut(buf: Buffer, offset: number, size: number): void {
  buf.writeUInt32LE(size, offset);
  buf.writeUInt32LE(0, offset + 4);
}

export function decodeInterruptIn(body: Buffer): { unique: number } {
  need(body, 8, 'fuse_interrupt_in');
  return { unique: readU64(body, 0) };
}

// ---- replies (server -> kernel) ----

/** fuse_out_header: `error` is 0 or a negative errno. */
export function encodeOutHeader(buf: Buffer, len: number, error: number, unique: number): void {
  buf.writeUInt32LE(len, 0);
  buf.writeInt32LE(error, 4);
  writeU64(buf, 8, unique);
}

/** fuse_attr, field for field; times are seconds (signed) plus nanoseconds. */
export interface FuseAttr {
  ino: number;
  size: number;
  blocks: number;
  atime: number;
  mtime: number;
  ctime: number;
  atimensec: number;
  mtimensec: number;
  ctimensec: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
}

export function writeAttr(buf: Buffer, offset: number, attr: FuseAttr): void {
  writeU64(buf, offset, attr.ino);
  writeU64(buf, offset + 8, attr.size);
  writeU64(buf, offset + 16, attr.blocks);
  writeI64(buf, offset + 24, attr.atime);
  writeI64(buf, offset + 32, attr.mtime);
  writeI64(buf, offset + 40, attr.ctime);
  buf.writeUInt32LE(attr.atimensec, offset + 48);
  buf.writeUInt32LE(attr.mtimensec, offset + 52);
  buf.writeUInt32LE(attr.ctimensec, offset + 56);
  buf.writeUInt32LE(attr.mode, offset + 60);
  buf.writeUInt32LE(attr.nlink, offset + 64);
  buf.writeUInt32LE(attr.uid, offset + 68);
  buf.writeUInt32LE(attr.gid, offset + 72);
  buf.writeUInt32LE(attr.rdev, offset + 76);
  buf.writeUInt32LE(attr.blksize, offset + 80);
  buf.writeUInt32LE(0, offset + 84);
}

/** A cache lifetime: whole seconds plus nanoseconds. */
export interface Validity {
  sec: number;
  nsec: number;
}

export interface EntryOut {
  /** 0 in a lookup reply caches a negative entry; in READDIRPLUS, "no attributes". */
  nodeid: number;
  generation: number;
  entryValid: Validity;
  attrValid: Validity;
  attr: FuseAttr;
}

export function writeEntryOut(buf: Buffer, offset: number, entry: EntryOut): void {
  writeU64(buf, offset, entry.nodeid);
  writeU64(buf, offset + 8, entry.generation);
  writeU64(buf, offset + 16, entry.entryValid.sec);
  writeU64(buf, offset + 24, entry.attrValid.sec);
  buf.writeUInt32LE(entry.entryValid.nsec, offset + 32);
  buf.writeUInt32LE(entry.attrValid.nsec, offset + 36);
  writeAttr(buf, offset + 40, entry.attr);
}

export function writeAttrOut(buf: Buffer, offset: number, attrValid: Validity, attr: FuseAttr): void {
  writeU64(buf, offset, attrValid.sec);
  buf.writeUInt32LE(attrValid.nsec, offset + 8);
  buf.writeUInt32LE(0, offset + 12);
  writeAttr(buf, offset + 16, attr);
}

export function writeOpenOut(buf: Buffer, offset: number, fh: number, openFlags: number): void {
  writeU64(buf, offset, fh);
  buf.writeUInt32LE(openFlags, offset + 8);
  buf.writeUInt32LE(0, offset + 12);
}

export interface InitOut {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWrite: number;
  /** Timestamp granularity in nanoseconds. */
  timeGran: number;
  maxPages: number;
}

/** fuse_init_out; `size` is 64, or 24 for kernels before 7.23, or 8 to answer only the major version. */
export function writeInitOut(buf: Buffer, offset: number, init: InitOut, size: number): void {
  buf.fill(0, offset, offset + size);
  buf.writeUInt32LE(init.major, offset);
  buf.writeUInt32LE(init.minor, offset + 4);
  if (size < INIT_OUT_COMPAT_22_SIZE) return;
  buf.writeUInt32LE(init.maxReadahead, offset + 8);
  buf.writeUInt32LE(init.flags >>> 0, offset + 12);
  buf.writeUInt16LE(init.maxBackground, offset + 16);
  buf.writeUInt16LE(init.congestionThreshold, offset + 18);
  buf.writeUInt32LE(init.maxWrite, offset + 20);
  if (size < INIT_OUT_SIZE) return;
  buf.writeUInt32LE(init.timeGran, offset + 24);
  buf.writeUInt16LE(init.maxPages, offset + 28);
  // map_alignment (u16), flags2 (u32) and unused[7] stay 0.
}

export function writeWriteOut(buf: Buffer, offset: number, size: number): void {
  buf.writeUInt32LE(size, offset);
  buf.writeUInt32LE(0, offset + 4);
}

export interface Kstatfs {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

export function writeStatfsOut(buf: Buffer, offset: number, st: Kstatfs): void {
  writeU64(buf, offset, st.blocks);
  writeU64(buf, offset + 8, st.bfree);
  writeU64(buf, offset + 16, st.bavail);
  writeU64(buf, offset + 24, st.files);
  writeU64(buf, offset + 32, st.ffree);
  buf.writeUInt32LE(st.bsize, offset + 40);
  buf.writeUInt32LE(st.namelen, offset + 44);
  buf.writeUInt32LE(st.frsize, offset + 48);
  buf.fill(0, offset + 52, offset + STATFS_OUT_SIZE);
}

export interface Dirent {
  ino: number;
  /** The offset cookie of the NEXT entry: what READDIR gets to continue after this one. */
  off: number;
  /** DT_* type: the S_IFMT bits of the mode shifted right by 12. */
  type: number;
  name: Buffer;
}

/** Records are padded to 8 bytes (FUSE_DIRENT_ALIGN). */
export function direntSize(nameLength: number, plus: boolean): number {
  return ((plus ? DIRENTPLUS_HEADER_SIZE : DIRENT_HEADER_SIZE) + nameLength + 7) & ~7;
}

/**
 * Writes one fuse_dirent, or with `plus` one fuse_direntplus (an all-zero
 * entry, nodeid 0, when `entry` is absent: "no attributes, look it up"), at
 * `offset`, padding zeroed; returns the offset after it, or -1 when it does
 * not fit below `limit`.
 */
export function writeDirent(buf: Buffer, offset: number, limit: number, dirent: Dirent, plus = false, entry?: EntryOut): number {
  const end = offset + direntSize(dirent.name.length, plus);
  if (end > limit) return -1;
  let at = offset;
  if (plus) {
    if (entry) writeEntryOut(buf, at, entry);
    else buf.fill(0, at, at + ENTRY_OUT_SIZE);
    at += ENTRY_OUT_SIZE;
  }
  writeU64(buf, at, dirent.ino);
  writeU64(buf, at + 8, dirent.off);
  buf.writeUInt32LE(dirent.name.length, at + 16);
  buf.writeUInt32LE(dirent.type, at + 20);
  dirent.name.copy(buf, at + DIRENT_HEADER_SIZE);
  buf.fill(0, at + DIRENT_HEADER_SIZE + dirent.name.length, end);
  return end;
}
