// FuseSession without a kernel: a seqpacket socketpair stands in for
// /dev/fuse (one message per read and per write, as the device does), and
// the test plays the kernel with hand-built requests.
import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FdHandle, readNonBlocking, socketPair, waitForFd, writeNonBlocking } from 'privsep';
import { FATTR, FOPEN, InitFlag, Opcode, readU64, writeU64 } from '../../../examples/ftpfs/fuse/abi.js';
import { fuseError, type Attr, type DirEntry, type FuseOperations, type RequestContext } from '../../../examples/ftpfs/fuse/operations.js';
import { FuseSession, type SessionOptions } from '../../../examples/ftpfs/fuse/session.js';

const E = os.constants.errno;

interface Reply {
  error: number;
  unique: number;
  body: Buffer;
}

class FakeKernel {
  readonly end: FdHandle;
  readonly session: FuseSession;
  readonly errors: unknown[] = [];
  #unique = 100;

  constructor(ops: FuseOperations, options: SessionOptions = {}) {
    const [kernel, device] = socketPair('seqpacket');
    this.end = kernel;
    this.session = new FuseSession(device, ops, options);
    this.session.on('error', (err) => this.errors.push(err));
    this.session.start();
  }

  send(opcode: number, nodeid: number, body: Buffer = Buffer.alloc(0), unique = (this.#unique += 2)): number {
    const header = Buffer.alloc(40);
    header.writeUInt32LE(40 + body.length, 0);
    header.writeUInt32LE(opcode, 4);
    writeU64(header, 8, unique);
    writeU64(header, 16, nodeid);
    header.writeUInt32LE(1000, 24);
    header.writeUInt32LE(1001, 28);
    header.writeUInt32LE(4242, 32);
    expect(writeNonBlocking(this.end, [header, body])).toBe(40 + body.length);
    return unique;
  }

  async next(): Promise<Reply> {
    const buf = Buffer.alloc(1 << 20);
    for (let i = 0; i < 100; i++) {
      const n = readNonBlocking(this.end, buf);
      if (n === null) {
        await waitForFd(this.end, 'readable', { timeoutMs: 5000 });
        continue;
      }
      expect(n).toBeGreaterThanOrEqual(16);
      expect(buf.readUInt32LE(0)).toBe(n);
      return { error: buf.readInt32LE(4), unique: readU64(buf, 8), body: Buffer.from(buf.subarray(16, n)) };
    }
    throw new Error('no reply');
  }

  async call(opcode: number, nodeid: number, body?: Buffer): Promise<Reply> {
    const unique = this.send(opcode, nodeid, body);
    const reply = await this.next();
    expect(reply.unique).toBe(unique);
    return reply;
  }

  async init(minor = 38, flags = 0x73fffffb): Promise<Reply> {
    const body = Buffer.alloc(64);
    body.writeUInt32LE(7, 0);
    body.writeUInt32LE(minor, 4);
    body.writeUInt32LE(131072, 8);
    body.writeUInt32LE(flags, 12);
    return this.call(Opcode.INIT, 0, body);
  }

  close(): void {
    this.session.close();
    this.end.close();
  }
}

const kernels: FakeKernel[] = [];
function kernel(ops: Partial<FuseOperations>, options?: SessionOptions): FakeKernel {
  const k = new FakeKernel({ lookup: () => { throw fuseError('ENOENT'); }, getattr: () => attrOf(1, 0o40755), readdir: () => [], ...ops }, options);
  kernels.push(k);
  return k;
}
afterEach(() => {
  for (const k of kernels.splice(0)) k.close();
});

function attrOf(ino: number, mode = 0o100644, size = 0): Attr {
  return { ino, mode, nlink: 1, uid: 1000, gid: 1001, size, atimeMs: 1_000_000_000_500, mtimeMs: 2_000, ctimeMs: -1_500 };
}

/** fuse_attr at `offset` of a reply body. */
function parseAttr(buf: Buffer, offset: number): Record<string, number> {
  return {
    ino: readU64(buf, offset), size: readU64(buf, offset + 8), blocks: readU64(buf, offset + 16),
    atime: Number(buf.readBigInt64LE(offset + 24)), mtime: Number(buf.readBigInt64LE(offset + 32)), ctime: Number(buf.readBigInt64LE(offset + 40)),
    atimensec: buf.readUInt32LE(offset + 48), mtimensec: buf.readUInt32LE(offset + 52), ctimensec: buf.readUInt32LE(offset + 56),
    mode: buf.readUInt32LE(offset + 60), nlink: buf.readUInt32LE(offset + 64), uid: buf.readUInt32LE(offset + 68),
    gid: buf.readUInt32LE(offset + 72), blksize: buf.readUInt32LE(offset + 80),
  };
}

const name = (text: string): Buffer => Buffer.from(`${text}\0`);

function readIn(fh: number, offset: number, size: number): Buffer {
  const body = Buffer.alloc(40);
  writeU64(body, 0, fh);
  writeU64(body, 8, offset);
  body.writeUInt32LE(size, 16);
  return body;
}

function writeIn(fh: number, offset: number, data: string): Buffer {
  const body = Buffer.alloc(40);
  writeU64(body, 0, fh);
  writeU64(body, 8, offset);
  body.writeUInt32LE(data.length, 16);
  return Buffer.concat([body, Buffer.from(data)]);
}

function forgetIn(nlookup: number): Buffer {
  const body = Buffer.alloc(8);
  writeU64(body, 0, nlookup);
  return body;
}

describe('FuseSession: INIT', () => {
  it('negotiates 7.31 with the flags both sides have, and reports it', async () => {
    const init = vi.fn();
    const k = kernel({ init }, { maxWrite: 1 << 20, maxBackground: 32 });
    const event = new Promise((resolve) => k.session.once('init', resolve));
    const reply = await k.init(38, InitFlag.ASYNC_READ | InitFlag.DO_READDIRPLUS | InitFlag.PARALLEL_DIROPS | InitFlag.MAX_PAGES);
    expect(reply.error).toBe(0);
    expect(reply.body.length).toBe(64);
    expect(reply.body.readUInt32LE(0)).toBe(7);
    expect(reply.body.readUInt32LE(4)).toBe(31);
    expect(reply.body.readUInt32LE(8)).toBe(131072);
    // READDIRPLUS was offered by the kernel but not asked for here.
    expect(reply.body.readUInt32LE(12)).toBe(InitFlag.ASYNC_READ | InitFlag.PARALLEL_DIROPS | InitFlag.MAX_PAGES);
    expect(reply.body.readUInt16LE(16)).toBe(32);
    expect(reply.body.readUInt16LE(18)).toBe(24);
    expect(reply.body.readUInt32LE(20)).toBe(1 << 20);
    expect(reply.body.readUInt32LE(24)).toBe(1);
    expect(reply.body.readUInt16LE(28)).toBe(256);
    expect(await event).toEqual({ major: 7, minor: 31 });
    expect(init).toHaveBeenCalledWith({ major: 7, minor: 31 });
    expect(k.session.protocol).toEqual({ major: 7, minor: 31 });
  });

  it('answers an older kernel with its minor and the 24-byte struct, and refuses a too old one', async () => {
    const k = kernel({}, { readdirPlus: true, atomicTruncate: true });
    const reply = await k.init(22);
    expect(reply.body.length).toBe(24);
    expect(reply.body.readUInt32LE(4)).toBe(22);
    expect(reply.body.readUInt32LE(12) & (InitFlag.DO_READDIRPLUS | InitFlag.ATOMIC_O_TRUNC)).toBe(InitFlag.DO_READDIRPLUS | InitFlag.ATOMIC_O_TRUNC);
    const old = kernel({});
    expect((await old.init(11)).error).toBe(-E.EPROTO);
    expect(old.errors).toHaveLength(1);
  });

  it('answers a newer major version with its own, then takes the next INIT', async () => {
    const k = kernel({});
    const body = Buffer.alloc(16);
    body.writeUInt32LE(8, 0);
    body.writeUInt32LE(1, 4);
    const first = await k.call(Opcode.INIT, 0, body);
    expect(first.error).toBe(0);
    expect(first.body).toEqual(Buffer.from([7, 0, 0, 0, 31, 0, 0, 0]));
    expect((await k.init()).body.readUInt32LE(4)).toBe(31);
  });

  it('refuses requests before INIT with EIO, and a second INIT with EPROTO', async () => {
    const k = kernel({});
    expect((await k.call(Opcode.GETATTR, 1, Buffer.alloc(16))).error).toBe(-E.EIO);
    await k.init();
    expect((await k.init()).error).toBe(-E.EPROTO);
  });

  it('rejects bad options before touching the fd', () => {
    expect(() => new FuseSession(0, { lookup: () => attrOf(1) as never, getattr: () => attrOf(1), readdir: () => [] }, { maxWrite: 5000 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new FuseSession(0, { lookup: () => attrOf(1) as never, getattr: () => attrOf(1), readdir: () => [] }, { attrTimeout: -1 })).toThrow(RangeError);
  });
});

describe('FuseSession: dispatch and replies', () => {
  it('replies to lookup with fuse_entry_out: ids, timeouts, attributes with split times', async () => {
    const lookup = vi.fn((_ctx: RequestContext, _parent: number, _name: string) => ({ nodeid: 7, generation: 3, attr: attrOf(7, 0o100600, 12345), entryTimeout: 2.5 }));
    const k = kernel({ lookup }, { attrTimeout: 0 });
    await k.init();
    const reply = await k.call(Opcode.LOOKUP, 1, name('caf\u00e9'));
    expect(reply.error).toBe(0);
    expect(reply.body.length).toBe(128);
    expect(readU64(reply.body, 0)).toBe(7);
    expect(readU64(reply.body, 8)).toBe(3);
    expect(readU64(reply.body, 16)).toBe(2);
    expect(reply.body.readUInt32LE(32)).toBe(500_000_000);
    expect(readU64(reply.body, 24)).toBe(0);
    expect(parseAttr(reply.body, 40)).toEqual({
      ino: 7, size: 12345, blocks: 25, atime: 1_000_000_000, mtime: 2, ctime: -2, atimensec: 500_000_000, mtimensec: 0,
      ctimensec: 500_000_000, mode: 0o100600, nlink: 1, uid: 1000, gid: 1001, blksize: 4096,
    });
    const [ctx, parent, n] = lookup.mock.calls[0]!;
    expect([parent, n]).toEqual([1, 'caf\u00e9']);
    expect(ctx).toMatchObject({ uid: 1000, gid: 1001, pid: 4242 });
    expect(ctx.signal.aborted).toBe(false);
  });

  it('maps thrown errors to errnos: code, errno of either sign, AbortError; anything else is EIO and reported', async () => {
    const errors: unknown[] = [{ code: 'EACCES' }, fuseError('ENOTEMPTY'), { errno: -28 }, { errno: 36 }, Object.assign(new Error('x'), { name: 'AbortError' }), new TypeError('bug'), 'text'];
    let i = 0;
    const k = kernel({ lookup: () => { throw errors[i++]; } });
    await k.init();
    const got: number[] = [];
    for (let j = 0; j < errors.length; j++) got.push((await k.call(Opcode.LOOKUP, 1, name('x'))).error);
    expect(got).toEqual([-E.EACCES, -E.ENOTEMPTY, -E.ENOSPC, -E.ENAMETOOLONG, -E.EINTR, -E.EIO, -E.EIO]);
    expect(k.errors).toEqual([errors[5], 'text']);
  });

  it('maps rejected promises the same way', async () => {
    const k = kernel({ lookup: async () => { throw fuseError('ENOENT'); }, getattr: async () => { throw new Error('bug'); } });
    await k.init();
    expect((await k.call(Opcode.LOOKUP, 1, name('x'))).error).toBe(-E.ENOENT);
    expect((await k.call(Opcode.GETATTR, 1, Buffer.alloc(16))).error).toBe(-E.EIO);
    expect(k.errors).toHaveLength(1);
  });

  it('answers ENOSYS for unknown opcodes and missing operations, and defaults open, opendir, statfs', async () => {
    const k = kernel({});
    await k.init();
    expect((await k.call(Opcode.READLINK, 2)).error).toBe(-E.ENOSYS);
    expect((await k.call(9999, 2)).error).toBe(-E.ENOSYS);
    expect((await k.call(Opcode.MKDIR, 1, Buffer.concat([Buffer.alloc(8), name('d')]))).error).toBe(-E.ENOSYS);
    expect((await k.call(Opcode.FLUSH, 2, Buffer.alloc(24))).error).toBe(-E.ENOSYS);
    const open = await k.call(Opcode.OPEN, 2, Buffer.alloc(8));
    expect([open.error, open.body]).toEqual([0, Buffer.alloc(16)]);
    expect((await k.call(Opcode.OPENDIR, 1, Buffer.alloc(8))).error).toBe(0);
    expect((await k.call(Opcode.RELEASE, 2, Buffer.alloc(24))).body.length).toBe(0);
    const statfs = await k.call(Opcode.STATFS, 1);
    expect(statfs.body.length).toBe(80);
    expect(statfs.body.readUInt32LE(40)).toBe(4096);
    expect(statfs.body.readUInt32LE(44)).toBe(255);
  });

  it('answers EIO to a request whose header length is wrong', async () => {
    const k = kernel({});
    await k.init();
    const header = Buffer.alloc(40);
    header.writeUInt32LE(99, 0);
    header.writeUInt32LE(Opcode.GETATTR, 4);
    writeU64(header, 8, 777);
    writeNonBlocking(k.end, header);
    expect(await k.next()).toMatchObject({ unique: 777, error: -E.EIO });
  });

  it('decodes setattr into changes: size, mode, times (now and given), fh', async () => {
    const setattr = vi.fn(() => attrOf(5, 0o100600, 10));
    const k = kernel({ setattr });
    await k.init();
    const body = Buffer.alloc(88);
    body.writeUInt32LE(FATTR.SIZE | FATTR.MODE | FATTR.ATIME | FATTR.ATIME_NOW | FATTR.MTIME | FATTR.FH, 0);
    writeU64(body, 8, 9);
    writeU64(body, 16, 10);
    body.writeBigInt64LE(981173106n, 40);
    body.writeUInt32LE(250_000_000, 60);
    body.writeUInt32LE(0o100600, 68);
    const reply = await k.call(Opcode.SETATTR, 5, body);
    expect(reply.body.length).toBe(104);
    expect(parseAttr(reply.body, 16)).toMatchObject({ ino: 5, size: 10, mode: 0o100600 });
    expect(setattr).toHaveBeenCalledWith(expect.anything(), 5, { size: 10, mode: 0o100600, atimeMs: 'now', mtimeMs: 981173106250 }, 9);
  });

  it('passes rename and rename2 names and flags', async () => {
    const rename = vi.fn();
    const k = kernel({ rename });
    await k.init();
    const plain = Buffer.alloc(8);
    writeU64(plain, 0, 3);
    expect((await k.call(Opcode.RENAME, 2, Buffer.concat([plain, name('a'), name('b')]))).error).toBe(0);
    const two = Buffer.alloc(16);
    writeU64(two, 0, 4);
    two.writeUInt32LE(1, 8);
    expect((await k.call(Opcode.RENAME2, 2, Buffer.concat([two, name('c'), name('d')]))).error).toBe(0);
    expect(rename.mock.calls.map((c) => c.slice(1))).toEqual([[2, 'a', 3, 'b', 0], [2, 'c', 4, 'd', 1]]);
  });

  it('replies to create with an entry and an open handle, with the open flags', async () => {
    const create = vi.fn(() => ({ entry: { attr: attrOf(9) }, fh: 77, directIo: true, keepCache: true }));
    const k = kernel({ create });
    await k.init();
    const body = Buffer.alloc(16);
    body.writeUInt32LE(0o101, 0);
    body.writeUInt32LE(0o100644, 4);
    body.writeUInt32LE(0o22, 8);
    const reply = await k.call(Opcode.CREATE, 1, Buffer.concat([body, name('new')]));
    expect(reply.body.length).toBe(144);
    expect(readU64(reply.body, 0)).toBe(9);
    expect(readU64(reply.body, 128)).toBe(77);
    expect(reply.body.readUInt32LE(136)).toBe(FOPEN.DIRECT_IO | FOPEN.KEEP_CACHE);
    expect(create).toHaveBeenCalledWith(expect.anything(), 1, 'new', 0o100644, 0o22, 0o101);
  });
});

describe('FuseSession: extended attributes', () => {
  const sizeIn = (size: number): Buffer => {
    const body = Buffer.alloc(8);
    body.writeUInt32LE(size, 0);
    return body;
  };

  it('answers GETXATTR: the length for size 0, ERANGE when too small, the value when it fits, the thrown ENODATA', async () => {
    const getxattr = vi.fn((_ctx: unknown, _nodeid: number, attr: string) => {
      if (attr !== 'user.state') throw fuseError('ENODATA');
      return Buffer.from('pending');
    });
    const k = kernel({ getxattr });
    await k.init();
    const probe = await k.call(Opcode.GETXATTR, 5, Buffer.concat([sizeIn(0), name('user.state')]));
    expect(probe.error).toBe(0);
    expect(probe.body.length).toBe(8);
    expect(probe.body.readUInt32LE(0)).toBe(7);
    expect((await k.call(Opcode.GETXATTR, 5, Buffer.concat([sizeIn(6), name('user.state')]))).error).toBe(-E.ERANGE);
    const value = await k.call(Opcode.GETXATTR, 5, Buffer.concat([sizeIn(64), name('user.state')]));
    expect(value.error).toBe(0);
    expect(value.body.toString()).toBe('pending');
    expect((await k.call(Opcode.GETXATTR, 5, Buffer.concat([sizeIn(64), name('security.capability')]))).error).toBe(-E.ENODATA);
    expect(getxattr.mock.calls.map((c) => c.slice(1))).toEqual([[5, 'user.state'], [5, 'user.state'], [5, 'user.state'], [5, 'security.capability']]);
  });

  it('answers LISTXATTR with NUL-terminated names, by the same size rules', async () => {
    const k = kernel({ listxattr: () => ['user.a', 'user.bc'] });
    await k.init();
    expect((await k.call(Opcode.LISTXATTR, 5, sizeIn(0))).body.readUInt32LE(0)).toBe(15);
    expect((await k.call(Opcode.LISTXATTR, 5, sizeIn(14))).error).toBe(-E.ERANGE);
    expect((await k.call(Opcode.LISTXATTR, 5, sizeIn(15))).body.toString('latin1')).toBe('user.a\0user.bc\0');
  });

  it('refuses SETXATTR and REMOVEXATTR with ENOTSUP; without getxattr and listxattr, ENOSYS', async () => {
    const k = kernel({});
    await k.init();
    const set = Buffer.alloc(8);
    set.writeUInt32LE(1, 0);
    expect((await k.call(Opcode.SETXATTR, 5, Buffer.concat([set, name('user.x'), Buffer.from('1')]))).error).toBe(-E.ENOTSUP);
    expect((await k.call(Opcode.REMOVEXATTR, 5, name('user.x'))).error).toBe(-E.ENOTSUP);
    expect((await k.call(Opcode.GETXATTR, 5, Buffer.concat([sizeIn(0), name('user.x')]))).error).toBe(-E.ENOSYS);
    expect((await k.call(Opcode.LISTXATTR, 5, sizeIn(0))).error).toBe(-E.ENOSYS);
  });
});

describe('FuseSession: concurrency', () => {
  it('keeps many requests in flight and replies as each finishes', async () => {
    const waiting = new Map<number, (data: Buffer) => void>();
    const k = kernel({ read: (_ctx, _node, _fh, offset) => new Promise((resolve) => waiting.set(offset, resolve)) });
    await k.init();
    const a = k.send(Opcode.READ, 5, readIn(1, 0, 4));
    const b = k.send(Opcode.READ, 5, readIn(1, 4096, 4));
    for (let i = 0; i < 100 && waiting.size < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(k.session.inFlight).toBe(2);
    waiting.get(4096)!(Buffer.from('BBBBBB'));
    const first = await k.next();
    expect([first.unique, first.body.toString()]).toEqual([b, 'BBBB']);
    waiting.get(0)!(Buffer.from('A'));
    const second = await k.next();
    expect([second.unique, second.body.toString()]).toEqual([a, 'A']);
    expect(k.session.inFlight).toBe(0);
  });

  it('hands each WRITE its own data, so an operation still running keeps intact bytes', async () => {
    const received: Buffer[] = [];
    const finish: (() => void)[] = [];
    const k = kernel({ write: (_ctx, _node, _fh, _offset, data) => new Promise((resolve) => { received.push(data); finish.push(() => resolve(data.length)); }) });
    await k.init();
    k.send(Opcode.WRITE, 5, writeIn(1, 0, 'first write'));
    k.send(Opcode.WRITE, 5, writeIn(1, 11, 'second'));
    for (let i = 0; i < 100 && finish.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(received.map(String)).toEqual(['first write', 'second']);
    finish.forEach((f) => f());
    const replies = [await k.next(), await k.next()];
    expect(replies.map((r) => r.body.readUInt32LE(0))).toEqual([11, 6]);
  });

  it('aborts the signal of a request the kernel interrupts', async () => {
    const k = kernel({ read: (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) });
    await k.init();
    const unique = k.send(Opcode.READ, 5, readIn(1, 0, 4));
    const body = Buffer.alloc(8);
    writeU64(body, 0, unique);
    k.send(Opcode.INTERRUPT, 0, body, unique | 1);
    expect(await k.next()).toMatchObject({ unique, error: -E.EINTR });
    // An interrupt for a request already answered is ignored.
    writeU64(body, 0, 12345);
    k.send(Opcode.INTERRUPT, 0, body);
    expect((await k.call(Opcode.GETATTR, 1, Buffer.alloc(16))).error).toBe(0);
  });
});

describe('FuseSession: node references', () => {
  it('counts entries replied and calls forget when FORGET and BATCH_FORGET bring the count to zero', async () => {
    const forget = vi.fn();
    const k = kernel({ lookup: (_ctx, _parent, n) => ({ attr: attrOf(n === 'a' ? 10 : 11) }), forget });
    await k.init();
    await k.call(Opcode.LOOKUP, 1, name('a'));
    await k.call(Opcode.LOOKUP, 1, name('a'));
    await k.call(Opcode.LOOKUP, 1, name('b'));
    k.send(Opcode.FORGET, 10, forgetIn(1));
    // FORGET has no reply: the next reply is the GETATTR's, and FORGET came before it.
    await k.call(Opcode.GETATTR, 1, Buffer.alloc(16));
    expect(forget).not.toHaveBeenCalled();
    const batch = Buffer.alloc(8 + 32);
    batch.writeUInt32LE(2, 0);
    writeU64(batch, 8, 10);
    writeU64(batch, 16, 1);
    writeU64(batch, 24, 11);
    writeU64(batch, 32, 1);
    k.send(Opcode.BATCH_FORGET, 0, batch);
    await k.call(Opcode.GETATTR, 1, Buffer.alloc(16));
    expect(forget.mock.calls).toEqual([[10], [11]]);
  });
});

describe('FuseSession: readdir', () => {
  const listing: DirEntry[] = [
    { name: '.', ino: 1, mode: 0o40000 },
    { name: '..', ino: 1, mode: 0o40000 },
    ...Array.from({ length: 20 }, (_, i) => ({ name: `file-${i}`.padEnd(i + 6, 'x'), ino: 100 + i, mode: 0o100644, entry: { attr: attrOf(100 + i) } })),
  ];

  function parseDirents(body: Buffer, plus: boolean): { ino: number; off: number; type: number; name: string; nodeid: number }[] {
    const out = [];
    for (let at = 0; at < body.length;) {
      const nodeid = plus ? readU64(body, at) : 0;
      const d = plus ? at + 128 : at;
      const length = body.readUInt32LE(d + 16);
      out.push({ ino: readU64(body, d), off: readU64(body, d + 8), type: body.readUInt32LE(d + 20), name: body.toString('utf8', d + 24, d + 24 + length), nodeid });
      const end = d + 24 + length;
      expect(body.subarray(end, (end + 7) & ~7)).toEqual(Buffer.alloc(((end + 7) & ~7) - end));
      at = (end + 7) & ~7;
    }
    return out;
  }

  it('packs as many dirents as fit, each with the cookie of the next, and continues from a cookie', async () => {
    const k = kernel({ readdir: (_ctx, _node, _fh, offset) => listing.slice(offset) });
    await k.init();
    const first = parseDirents((await k.call(Opcode.READDIR, 1, readIn(0, 0, 200))).body, false);
    // 5 records of 32 bytes and one of 40 fill the 200 bytes asked for.
    expect(first.map((d) => d.name)).toEqual(listing.slice(0, 6).map((e) => e.name));
    expect(first.map((d) => d.off)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(first.map((d) => d.type)).toEqual([4, 4, 8, 8, 8, 8]);
    const rest = parseDirents((await k.call(Opcode.READDIR, 1, readIn(0, 6, 4096))).body, false);
    expect(rest.map((d) => d.ino)).toEqual(listing.slice(6).map((e) => e.ino));
    expect((await k.call(Opcode.READDIR, 1, readIn(0, listing.length, 4096))).body.length).toBe(0);
  });

  it('sends entries with READDIRPLUS (none for . and ..) and counts only the ones sent', async () => {
    const forget = vi.fn();
    const k = kernel({ readdir: (_ctx, _node, _fh, offset) => listing.slice(offset), forget }, { readdirPlus: true });
    await k.init();
    const sent = parseDirents((await k.call(Opcode.READDIRPLUS, 1, readIn(0, 0, 700))).body, true);
    expect(sent.map((d) => d.nodeid)).toEqual([0, 0, 100, 101]);
    // Sent twice now: the kernel holds two references to 100 and 101.
    await k.call(Opcode.READDIRPLUS, 1, readIn(0, 0, 700));
    k.send(Opcode.FORGET, 100, forgetIn(1));
    k.send(Opcode.FORGET, 101, forgetIn(2));
    await k.call(Opcode.GETATTR, 1, Buffer.alloc(16));
    expect(forget.mock.calls).toEqual([[101]]);
    k.send(Opcode.FORGET, 100, forgetIn(1));
    await k.call(Opcode.GETATTR, 1, Buffer.alloc(16));
    expect(forget.mock.calls).toEqual([[101], [100]]);
  });

  it('refuses names a dirent cannot carry', async () => {
    const k = kernel({ readdir: () => [{ name: 'a/b', ino: 5, mode: 0o100644 }] });
    await k.init();
    expect((await k.call(Opcode.READDIR, 1, readIn(0, 0, 4096))).error).toBe(-E.EIO);
  });
});

describe('FuseSession: end of the connection', () => {
  it('closes as unmounted when the device reports the end, and calls destroy', async () => {
    const destroy = vi.fn();
    const k = kernel({ destroy });
    await k.init();
    const closed = new Promise((resolve) => k.session.once('close', resolve));
    k.end.close();
    expect(await closed).toBe('unmounted');
    expect(k.session.closed).toBe(true);
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('close() aborts the operations still running and drops their replies', async () => {
    let signal: AbortSignal | undefined;
    const k = kernel({ read: (ctx) => { signal = ctx.signal; return new Promise(() => {}); } });
    await k.init();
    k.send(Opcode.READ, 5, readIn(1, 0, 4));
    for (let i = 0; i < 100 && !signal; i++) await new Promise((r) => setTimeout(r, 5));
    const closed = new Promise((resolve) => k.session.once('close', resolve));
    k.session.close();
    expect(await closed).toBe('closed');
    expect(signal!.aborted).toBe(true);
    expect(k.session.inFlight).toBe(0);
    expect(readNonBlocking(k.end, Buffer.alloc(64))).toBe(0);
  });
});
