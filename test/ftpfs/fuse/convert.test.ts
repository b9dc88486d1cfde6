// Unit conversions between the operations' values and the kernel's fields.
import { describe, expect, it } from 'vitest';
import { FATTR, FOPEN, type SetattrIn } from '../../../examples/ftpfs/fuse/abi.js';
import { direntType, openFlags, toAttrChanges, toFuseAttr, validity } from '../../../examples/ftpfs/fuse/convert.js';

const setattr: SetattrIn = {
  valid: 0, fh: 0, size: 0, lockOwner: 0n, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: 0, uid: 0, gid: 0,
};

describe('FUSE conversions', () => {
  it('split milliseconds into seconds and nanoseconds, before 1970 too, never with nsec >= 1e9', () => {
    const attr = toFuseAttr({ ino: 2, mode: 0o100644, nlink: 1, uid: 0, gid: 0, size: 1025, atimeMs: 1500.25, mtimeMs: -1, ctimeMs: 999.9999999 });
    expect(attr).toEqual({
      ino: 2, size: 1025, blocks: 3, atime: 1, atimensec: 500_250_000, mtime: -1, mtimensec: 999_000_000, ctime: 1, ctimensec: 0,
      mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096,
    });
  });

  it('turn timeouts in seconds into validities', () => {
    expect(validity(1.25)).toEqual({ sec: 1, nsec: 250_000_000 });
    expect(validity(0)).toEqual({ sec: 0, nsec: 0 });
    expect(validity(-3)).toEqual({ sec: 0, nsec: 0 });
  });

  it('read only the fields a SETATTR marks valid', () => {
    expect(toAttrChanges({ ...setattr, valid: 0, size: 5, mode: 0o600 })).toEqual({});
    expect(toAttrChanges({ ...setattr, valid: FATTR.UID | FATTR.GID | FATTR.CTIME, uid: 7, gid: 8, ctime: -2, ctimensec: 500_000_000 })).toEqual({ uid: 7, gid: 8, ctimeMs: -1500 });
    expect(toAttrChanges({ ...setattr, valid: FATTR.ATIME | FATTR.MTIME | FATTR.MTIME_NOW, atime: 10, atimensec: 1_000_000 })).toEqual({ atimeMs: 10_001, mtimeMs: 'now' });
  });

  it('map open results to FOPEN bits and modes to DT types', () => {
    expect(openFlags(undefined)).toBe(0);
    expect(openFlags({ fh: 1, nonSeekable: true, cacheDir: true })).toBe(FOPEN.NONSEEKABLE | FOPEN.CACHE_DIR);
    expect(openFlags({ fh: 1, keepCache: true, noFlush: true })).toBe(FOPEN.KEEP_CACHE | FOPEN.NOFLUSH);
    expect([0o040755, 0o100644, 0o120777, 0o010600].map(direntType)).toEqual([4, 8, 10, 1]);
  });
});
