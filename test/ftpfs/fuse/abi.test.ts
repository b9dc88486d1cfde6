// The FUSE ABI codecs on literal bytes: the expected bytes are those a C
// program gets from the kernel's own structs (linux/fuse.h) with the same
// field values.
import { describe, expect, it } from 'vitest';
import {
  ATTR_OUT_SIZE, DIRENTPLUS_HEADER_SIZE, ENTRY_OUT_SIZE, INIT_OUT_COMPAT_22_SIZE, INIT_OUT_SIZE, IN_HEADER_SIZE, OUT_HEADER_SIZE,
  STATFS_OUT_SIZE, FATTR,
  decodeBatchForgetIn, decodeCreateIn, decodeFlushIn, decodeGetattrIn, decodeInHeader, decodeInitIn, decodeMkdirIn, decodeReadIn,
  decodeReleaseIn, decodeRenameIn, decodeSetattrIn, decodeWriteIn, direntSize, encodeOutHeader, readName, readU64, writeAttrOut,
  writeDirent, writeEntryOut, writeInitOut, writeStatfsOut, writeU64, type FuseAttr,
} from '../../../examples/ftpfs/fuse/abi.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
/** `text` as bytes, followed by zeros up to `size`. */
const padded = (text: string, size: number): Buffer => Buffer.concat([hex(text)], size);

const attr: FuseAttr = {
  ino: 5, size: 0x123456789, blocks: 9, atime: -1, mtime: 1_000_000_000, ctime: 2,
  atimensec: 999_999_999, mtimensec: 1, ctimensec: 3, mode: 0o100644, nlink: 1, uid: 1000, gid: 1001, rdev: 0, blksize: 4096,
};

describe('FUSE ABI: requests', () => {
  it('decode fuse_in_header (40 bytes)', () => {
    const bytes = hex(`38000000010000005544332211000000 0100000001000000e803000064000000 9210000000000000`);
    expect(bytes.length).toBe(IN_HEADER_SIZE);
    expect(decodeInHeader(bytes)).toEqual({
      len: 0x38, opcode: 1, unique: 0x1122334455, nodeid: 0x100000001, uid: 1000, gid: 100, pid: 4242, totalExtlen: 0,
    });
  });

  it('decode fuse_init_in, long (7.36+) and short (before 7.36)', () => {
    const long = padded('070000002600000000000200fbffff73 01000000', 64);
    expect(decodeInitIn(long)).toEqual({ major: 7, minor: 38, maxReadahead: 131072, flags: 0x73fffffb, flags2: 1 });
    expect(decodeInitIn(long.subarray(0, 16))).toEqual({ major: 7, minor: 38, maxReadahead: 131072, flags: 0x73fffffb, flags2: 0 });
    expect(decodeInitIn(long.subarray(0, 8))).toEqual({ major: 7, minor: 38, maxReadahead: 0, flags: 0, flags2: 0 });
  });

  it('decode fuse_setattr_in (88 bytes), signed times and the valid bits', () => {
    const bytes = hex(`
      79000000000000000300000000000000
      00100000000000001032547698badcfe
      72837b3a00000000feffffffffffffff
      00000000000000000065cd1d00000000
      00000000808100000000000007000000
      0800000000000000`);
    const arg = decodeSetattrIn(bytes);
    expect(arg).toEqual({
      valid: FATTR.SIZE | FATTR.ATIME | FATTR.MTIME | FATTR.MODE | FATTR.FH, fh: 3, size: 4096, lockOwner: 0xfedcba9876543210n,
      atime: 981173106, mtime: -2, ctime: 0, atimensec: 500_000_000, mtimensec: 0, ctimensec: 0, mode: 0o100600, uid: 7, gid: 8,
    });
  });

  it('decode fuse_write_in with its data (a view, not a copy), and fuse_read_in', () => {
    const bytes = hex(`09000000000000000000000002000000 03000000010000000000000000000000 0200000000000000 616263`);
    const arg = decodeWriteIn(bytes);
    expect(arg).toMatchObject({ fh: 9, offset: 0x200000000, size: 3, writeFlags: 1, lockOwner: 0n, flags: 2 });
    expect(arg.data.toString()).toBe('abc');
    expect(arg.data.buffer).toBe(bytes.buffer);
    expect(decodeReadIn(bytes)).toEqual({ fh: 9, offset: 0x200000000, size: 3, readFlags: 1, lockOwner: 0n, flags: 2 });
    expect(() => decodeWriteIn(bytes.subarray(0, 42))).toThrow(expect.objectContaining({ code: 'EIO' }));
  });

  it('decode names after the structs: mkdir, create, rename, rename2', () => {
    expect(decodeMkdirIn(Buffer.concat([hex('ed41000012000000'), Buffer.from('dir\0')]))).toEqual({ mode: 0o40755, umask: 0o22, name: 'dir' });
    expect(decodeCreateIn(Buffer.concat([hex('41800000a48100001200000000000000'), Buffer.from('f\u00e9\0')]))).toEqual({
      flags: 0o100101, mode: 0o100644, umask: 0o22, openFlags: 0, name: 'f\u00e9',
    });
    expect(decodeRenameIn(Buffer.concat([hex('0700000000000000'), Buffer.from('a\0bb\0')]), false)).toEqual({ newdir: 7, flags: 0, oldName: 'a', newName: 'bb' });
    expect(decodeRenameIn(Buffer.concat([hex('07000000000000000100000000000000'), Buffer.from('a\0bb\0')]), true)).toEqual({ newdir: 7, flags: 1, oldName: 'a', newName: 'bb' });
    expect(() => decodeRenameIn(Buffer.concat([hex('0700000000000000'), Buffer.from('a\0bb')]), false)).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(readName(Buffer.from('x\0y\0'), 2)).toEqual({ name: 'y', next: 4 });
  });

  it('decode the small structs: getattr, release, flush, batch forget', () => {
    expect(decodeGetattrIn(hex('01000000000000002a00000000000000'))).toEqual({ getattrFlags: 1, fh: 42 });
    expect(decodeReleaseIn(hex('2a000000000000000080000001000000ffffffffffffffff'))).toEqual({ fh: 42, flags: 0o100000, releaseFlags: 1, lockOwner: 0xffffffffffffffffn });
    expect(decodeFlushIn(hex('2a0000000000000000000000000000000100000000000000'))).toEqual({ fh: 42, lockOwner: 1n });
    expect(decodeBatchForgetIn(hex('0200000000000000 05000000000000000100000000000000 06000000000000000300000000000000'))).toEqual([
      { nodeid: 5, nlookup: 1 },
      { nodeid: 6, nlookup: 3 },
    ]);
    expect(() => decodeBatchForgetIn(hex('0300000000000000 05000000000000000100000000000000'))).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(() => decodeGetattrIn(Buffer.alloc(15))).toThrow(RangeError);
  });
});

describe('FUSE ABI: replies', () => {
  it('encode fuse_out_header (16 bytes) with a negative errno', () => {
    const buf = Buffer.alloc(OUT_HEADER_SIZE);
    encodeOutHeader(buf, 16, -2, 0x1122334455);
    expect(buf).toEqual(hex('10000000feffffff5544332211000000'));
  });

  it('encode fuse_entry_out (128 bytes), negative times included', () => {
    const buf = Buffer.alloc(ENTRY_OUT_SIZE, 0xee);
    writeEntryOut(buf, 0, { nodeid: 5, generation: 7, entryValid: { sec: 1, nsec: 500_000_000 }, attrValid: { sec: 2, nsec: 250_000_000 }, attr });
    expect(buf).toEqual(hex(`
      05000000000000000700000000000000
      01000000000000000200000000000000
      0065cd1d80b2e60e0500000000000000
      89674523010000000900000000000000
      ffffffffffffffff00ca9a3b00000000
      0200000000000000ffc99a3b01000000
      03000000a481000001000000e8030000
      e9030000000000000010000000000000`));
  });

  it('encode fuse_attr_out (104 bytes): validity, padding, then fuse_attr', () => {
    const buf = Buffer.alloc(ATTR_OUT_SIZE, 0xee);
    writeAttrOut(buf, 0, { sec: 1, nsec: 2 }, attr);
    expect(buf.subarray(0, 16)).toEqual(hex('01000000000000000200000000000000'));
    const entry = Buffer.alloc(ENTRY_OUT_SIZE);
    writeEntryOut(entry, 0, { nodeid: 5, generation: 7, entryValid: { sec: 0, nsec: 0 }, attrValid: { sec: 0, nsec: 0 }, attr });
    expect(buf.subarray(16)).toEqual(entry.subarray(40));
  });

  it('encode fuse_init_out: 64 bytes, 24 for old kernels, 8 for a major-only answer', () => {
    const init = { major: 7, minor: 31, maxReadahead: 131072, flags: 0x40021, maxBackground: 64, congestionThreshold: 48, maxWrite: 131072, timeGran: 1, maxPages: 32 };
    const full = Buffer.alloc(INIT_OUT_SIZE, 0xee);
    writeInitOut(full, 0, init, INIT_OUT_SIZE);
    expect(full).toEqual(padded('070000001f0000000000020021000400 40003000000002000100000020000000', 64));
    const compat = Buffer.alloc(INIT_OUT_COMPAT_22_SIZE);
    writeInitOut(compat, 0, init, INIT_OUT_COMPAT_22_SIZE);
    expect(compat).toEqual(full.subarray(0, 24));
    const major = Buffer.alloc(8);
    writeInitOut(major, 0, init, 8);
    expect(major).toEqual(hex('070000001f000000'));
  });

  it('encode fuse_statfs_out (80 bytes, spare zeroed)', () => {
    const buf = Buffer.alloc(STATFS_OUT_SIZE, 0xee);
    writeStatfsOut(buf, 0, { blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50, bsize: 4096, namelen: 255, frsize: 4096 });
    expect(buf).toEqual(hex(`
      e803000000000000f401000000000000
      90010000000000006400000000000000
      320000000000000000100000ff000000
      00100000000000000000000000000000
      00000000000000000000000000000000`));
  });

  it('encode fuse_dirent padded to 8 bytes, and refuse one that does not fit', () => {
    const buf = Buffer.alloc(40, 0xee);
    expect(writeDirent(buf, 0, 40, { ino: 2, off: 1, type: 8, name: Buffer.from('hello') })).toBe(32);
    expect(buf.subarray(0, 32)).toEqual(hex('02000000000000000100000000000000 050000000800000068656c6c6f000000'));
    expect(writeDirent(buf, 32, 40, { ino: 3, off: 2, type: 4, name: Buffer.from('x') })).toBe(-1);
    expect(buf.subarray(32)).toEqual(Buffer.alloc(8, 0xee));
    expect(direntSize(8, false)).toBe(32);
    expect(direntSize(9, false)).toBe(40);
  });

  it('encode fuse_direntplus: an entry_out before the dirent, zeroed when there is no entry', () => {
    expect(DIRENTPLUS_HEADER_SIZE).toBe(152);
    expect(direntSize(1, true)).toBe(160);
    const buf = Buffer.alloc(160, 0xee);
    expect(writeDirent(buf, 0, 160, { ino: 3, off: 9, type: 4, name: Buffer.from('d') }, true)).toBe(160);
    expect(buf.subarray(0, 128)).toEqual(Buffer.alloc(128));
    expect(buf.subarray(128)).toEqual(hex('03000000000000000900000000000000 01000000040000006400000000000000'));
    const withEntry = Buffer.alloc(160);
    writeDirent(withEntry, 0, 160, { ino: 5, off: 1, type: 8, name: Buffer.from('d') }, true, { nodeid: 5, generation: 0, entryValid: { sec: 1, nsec: 0 }, attrValid: { sec: 1, nsec: 0 }, attr });
    expect(readU64(withEntry, 0)).toBe(5);
    expect(withEntry.readUInt32LE(40 + 60)).toBe(0o100644);
  });

  it('u64 fields are exact up to 2^53 and refuse what is not a safe non-negative integer', () => {
    const buf = Buffer.alloc(8);
    writeU64(buf, 0, Number.MAX_SAFE_INTEGER);
    expect(buf).toEqual(hex('ffffffffffff1f00'));
    expect(readU64(buf, 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => writeU64(buf, 0, -1)).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(() => writeU64(buf, 0, 1.5)).toThrow(RangeError);
  });
});
