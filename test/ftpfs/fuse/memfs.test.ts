// MemFs called directly (no kernel): the semantics the FUSE tests rely on.
import { describe, expect, it } from 'vitest';
import { MemFs } from '../../../examples/ftpfs/fuse/memfs.js';
import type { RequestContext } from '../../../examples/ftpfs/fuse/operations.js';

const ctx: RequestContext = { uid: 1000, gid: 1000, pid: 1, unique: 2, signal: new AbortController().signal };
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

describe('MemFs', () => {
  it('creates, writes, reads, truncates with zero fill', () => {
    const fs = new MemFs();
    const { entry, fh } = fs.create(ctx, 1, 'f', S_IFREG | 0o666, 0o022, 0);
    expect(entry.attr).toMatchObject({ mode: S_IFREG | 0o644, uid: 1000, size: 0 });
    expect(fs.write(ctx, entry.attr.ino, fh!, 3, Buffer.from('abc'))).toBe(3);
    expect(Buffer.from(fs.read(ctx, entry.attr.ino, fh!, 0, 100))).toEqual(Buffer.from('\0\0\0abc'));
    fs.setattr(ctx, entry.attr.ino, { size: 4 });
    fs.setattr(ctx, entry.attr.ino, { size: 8 });
    expect(Buffer.from(fs.read(ctx, entry.attr.ino, fh!, 0, 100))).toEqual(Buffer.from('\0\0\0a\0\0\0\0'));
    expect(fs.getattr(ctx, entry.attr.ino).size).toBe(8);
    expect(() => fs.lookup(ctx, 1, 'missing')).toThrow(expect.objectContaining({ code: 'ENOENT', errno: -2 }));
  });

  it('renames, with NOREPLACE and EXCHANGE, and keeps directory link counts', () => {
    const fs = new MemFs();
    const a = fs.mkdir(ctx, 1, 'a', 0o755, 0).attr.ino;
    fs.mkdir(ctx, 1, 'b', 0o755, 0);
    fs.create(ctx, a, 'x', S_IFREG | 0o644, 0, 0);
    expect(fs.getattr(ctx, 1).nlink).toBe(4);
    expect(() => fs.rename(ctx, 1, 'a', 1, 'b', 1)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => fs.rename(ctx, 1, 'b', 1, 'a', 0)).toThrow(expect.objectContaining({ code: 'ENOTEMPTY' }));
    fs.rename(ctx, 1, 'a', 1, 'b', 2);
    expect(fs.lookup(ctx, 1, 'b').attr.ino).toBe(a);
    fs.rename(ctx, 1, 'a', 1, 'c', 0);
    expect(fs.getattr(ctx, 1).nlink).toBe(4);
    fs.rename(ctx, a, 'x', 1, 'x', 0);
    expect(fs.getattr(ctx, 1).nlink).toBe(4);
    expect(() => fs.rename(ctx, 1, 'x', 1, 'c', 0)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => fs.rename(ctx, 1, 'x', 1, 'y', 4)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('keeps an unlinked file while it is open or known to the kernel', () => {
    const fs = new MemFs();
    const { entry, fh } = fs.create(ctx, 1, 'f', S_IFREG | 0o644, 0, 0);
    fs.write(ctx, entry.attr.ino, fh!, 0, Buffer.from('still here'));
    fs.unlink(ctx, 1, 'f');
    expect(Buffer.from(fs.read(ctx, entry.attr.ino, fh!, 0, 100)).toString()).toBe('still here');
    fs.release(ctx, entry.attr.ino, fh!);
    expect(fs.nodeCount).toBe(2);
    fs.forget(entry.attr.ino);
    expect(fs.nodeCount).toBe(1);
    expect(() => fs.getattr(ctx, entry.attr.ino)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('lists a directory from a snapshot taken at opendir, with . and ..', () => {
    const fs = new MemFs({ readdirPlus: true });
    const d = fs.mkdir(ctx, 1, 'd', 0o755, 0).attr.ino;
    fs.create(ctx, d, 'one', S_IFREG | 0o644, 0, 0);
    const { fh } = fs.opendir(ctx, d);
    fs.create(ctx, d, 'two', S_IFREG | 0o644, 0, 0);
    const names = [...fs.readdir(ctx, d, fh!, 0)].map((e) => [e.name, e.mode & 0o170000, e.entry !== undefined]);
    expect(names).toEqual([['.', S_IFDIR, false], ['..', S_IFDIR, false], ['one', S_IFREG, true]]);
    expect([...fs.readdir(ctx, d, fh!, 2)].map((e) => e.name)).toEqual(['one']);
    fs.releasedir(ctx, d, fh!);
    expect(() => fs.rmdir(ctx, 1, 'd')).toThrow(expect.objectContaining({ code: 'ENOTEMPTY' }));
  });

  it('reports capacity and use in statfs', () => {
    const fs = new MemFs({ capacity: 4096 * 100 });
    const { entry, fh } = fs.create(ctx, 1, 'f', S_IFREG | 0o644, 0, 0);
    fs.write(ctx, entry.attr.ino, fh!, 0, Buffer.alloc(4096 * 10));
    expect(fs.statfs()).toMatchObject({ blocks: 100, bfree: 90, bsize: 4096, namelen: 255 });
  });
});
