// MemFs: a small in-memory file system implementing FuseOperations, for the
// tests and as a demonstration of the interface: directories, regular
// files, rename (with NOREPLACE/EXCHANGE), truncate, times, statfs.
import fs from 'node:fs';
import type { Attr, AttrChanges, CreateResult, DirEntry, Entry, FuseOperations, OpenResult, RequestContext, StatFs } from './operations.js';
import { fuseError } from './operations.js';

const { S_IFMT, S_IFDIR, S_IFREG, O_TRUNC } = fs.constants;
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

interface MemNode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  /** File contents; its length is the capacity, bytes past `size` are zero. */
  data: Buffer;
  children: Map<string, number> | null;
  parent: number;
  /** Handed to the kernel in an entry: kept until forget() even when unlinked. */
  referenced: boolean;
  opens: number;
}

interface Handle {
  ino: number;
  listing: DirEntry[] | null;
}

export interface MemFsOptions {
  /** Owner of the root directory; default this process's. */
  uid?: number;
  gid?: number;
  /** Capacity reported by statfs, in bytes (not enforced). Default 1 GiB. */
  capacity?: number;
  /** st_blksize of files (the I/O size cp uses). Default 128 KiB. */
  blksize?: number;
  /** Give readdir entries their attributes: mount with readdirPlus too. Default false. */
  readdirPlus?: boolean;
}

export class MemFs implements FuseOperations {
  readonly #nodes = new Map<number, MemNode>();
  readonly #handles = new Map<number, Handle>();
  readonly #capacity: number;
  readonly #blksize: number;
  readonly #readdirPlus: boolean;
  #nextIno = 2;
  #nextFh = 1;
  #used = 0;

  constructor(options: MemFsOptions = {}) {
    this.#capacity = options.capacity ?? 1024 ** 3;
    this.#blksize = options.blksize ?? 128 * 1024;
    this.#readdirPlus = options.readdirPlus ?? false;
    const now = Date.now();
    this.#nodes.set(1, {
      ino: 1, mode: S_IFDIR | 0o755, uid: options.uid ?? process.getuid?.() ?? 0, gid: options.gid ?? process.getgid?.() ?? 0,
      nlink: 2, atimeMs: now, mtimeMs: now, ctimeMs: now, size: 0, data: Buffer.alloc(0),
      children: new Map(), parent: 1, referenced: true, opens: 0,
    });
  }

  /** Nodes alive (for tests: unlinked nodes go once the kernel forgets them). */
  get nodeCount(): number {
    return this.#nodes.size;
  }

  #node(ino: number): MemNode {
    const node = this.#nodes.get(ino);
    if (!node) throw fuseError('ENOENT');
    return node;
  }

  #dir(ino: number): MemNode & { children: Map<string, number> } {
    const node = this.#node(ino);
    if (!node.children) throw fuseError('ENOTDIR');
    return node as MemNode & { children: Map<string, number> };
  }

  #attr(node: MemNode): Attr {
    return {
      ino: node.ino, mode: node.mode, nlink: node.nlink, uid: node.uid, gid: node.gid,
      size: node.children ? 4096 : node.size, atimeMs: node.atimeMs, mtimeMs: node.mtimeMs, ctimeMs: node.ctimeMs,
      blksize: this.#blksize,
    };
  }

  #entry(node: MemNode): Entry {
    node.referenced = true;
    return { attr: this.#attr(node) };
  }

  #newNode(ctx: RequestContext, parent: MemNode, mode: number): MemNode {
    const now = Date.now();
    const node: MemNode = {
      ino: this.#nextIno++, mode, uid: ctx.uid, gid: ctx.gid, nlink: 1, atimeMs: now, mtimeMs: now, ctimeMs: now,
      size: 0, data: Buffer.alloc(0), children: null, parent: parent.ino, referenced: false, opens: 0,
    };
    this.#nodes.set(node.ino, node);
    return node;
  }

  /** Frees a node nobody can reach any more: no name, no open handle, no kernel reference. */
  #collect(node: MemNode): void {
    if (node.nlink > 0 || node.opens > 0 || node.referenced || node.ino === 1) return;
    this.#used -= node.data.length;
    this.#nodes.delete(node.ino);
  }

  #touch(node: MemNode, now = Date.now()): void {
    node.mtimeMs = now;
    node.ctimeMs = now;
  }

  #resize(node: MemNode, size: number): void {
    if (size > node.data.length) {
      const grown = Buffer.alloc(Math.max(size, Math.min(node.data.length * 2, size + 64 * 1024 * 1024)));
      node.data.copy(grown, 0, 0, node.size);
      this.#used += grown.length - node.data.length;
      node.data = grown;
    } else if (size < node.size) {
      node.data.fill(0, size, node.size);
    }
    node.size = size;
  }

  lookup(_ctx: RequestContext, parent: number, name: string): Entry {
    const ino = this.#dir(parent).children.get(name);
    if (ino === undefined) throw fuseError('ENOENT');
    return this.#entry(this.#node(ino));
  }

  forget(nodeid: number): void {
    const node = this.#nodes.get(nodeid);
    if (!node || nodeid === 1) return;
    node.referenced = false;
    this.#collect(node);
  }

  getattr(_ctx: RequestContext, nodeid: number): Attr {
    return this.#attr(this.#node(nodeid));
  }

  setattr(_ctx: RequestContext, nodeid: number, changes: AttrChanges): Attr {
    const node = this.#node(nodeid);
    const now = Date.now();
    if (changes.size !== undefined) {
      if (node.children) throw fuseError('EISDIR');
      this.#resize(node, changes.size);
      node.mtimeMs = now;
    }
    if (changes.mode !== undefined) node.mode = (node.mode & S_IFMT) | (changes.mode & 0o7777);
    if (changes.uid !== undefined) node.uid = changes.uid;
    if (changes.gid !== undefined) node.gid = changes.gid;
    if (changes.atimeMs !== undefined) node.atimeMs = changes.atimeMs === 'now' ? now : changes.atimeMs;
    if (changes.mtimeMs !== undefined) node.mtimeMs = changes.mtimeMs === 'now' ? now : changes.mtimeMs;
    node.ctimeMs = changes.ctimeMs ?? now;
    return this.#attr(node);
  }

  mkdir(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): Entry {
    const dir = this.#dir(parent);
    if (dir.children.has(name)) throw fuseError('EEXIST');
    const node = this.#newNode(ctx, dir, S_IFDIR | (mode & ~umask & 0o7777));
    node.children = new Map();
    node.nlink = 2;
    dir.children.set(name, node.ino);
    dir.nlink++;
    this.#touch(dir);
    return this.#entry(node);
  }

  create(ctx: RequestContext, parent: number, name: string, mode: number, umask: number, _flags = 0): CreateResult {
    const dir = this.#dir(parent);
    if (dir.children.has(name)) throw fuseError('EEXIST');
    const node = this.#newNode(ctx, dir, S_IFREG | (mode & ~umask & 0o7777));
    dir.children.set(name, node.ino);
    this.#touch(dir);
    return { entry: this.#entry(node), ...this.#openHandle(node) };
  }

  #unlinkName(dir: MemNode & { children: Map<string, number> }, name: string, node: MemNode): void {
    dir.children.delete(name);
    const now = Date.now();
    this.#touch(dir, now);
    node.ctimeMs = now;
    if (node.children) {
      node.nlink = 0;
      dir.nlink--;
    } else {
      node.nlink--;
    }
    this.#collect(node);
  }

  unlink(_ctx: RequestContext, parent: number, name: string): void {
    const dir = this.#dir(parent);
    const ino = dir.children.get(name);
    if (ino === undefined) throw fuseError('ENOENT');
    const node = this.#node(ino);
    if (node.children) throw fuseError('EISDIR');
    this.#unlinkName(dir, name, node);
  }

  rmdir(_ctx: RequestContext, parent: number, name: string): void {
    const dir = this.#dir(parent);
    const ino = dir.children.get(name);
    if (ino === undefined) throw fuseError('ENOENT');
    const node = this.#node(ino);
    if (!node.children) throw fuseError('ENOTDIR');
    if (node.children.size > 0) throw fuseError('ENOTEMPTY');
    this.#unlinkName(dir, name, node);
  }

  rename(_ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) || flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) throw fuseError('EINVAL');
    const from = this.#dir(parent);
    const to = this.#dir(newParent);
    const ino = from.children.get(name);
    if (ino === undefined) throw fuseError('ENOENT');
    const node = this.#node(ino);
    const targetIno = to.children.get(newName);
    const now = Date.now();
    if (flags & RENAME_EXCHANGE) {
      if (targetIno === undefined) throw fuseError('ENOENT');
      const target = this.#node(targetIno);
      from.children.set(name, targetIno);
      to.children.set(newName, ino);
      target.parent = from.ino;
      node.parent = to.ino;
      if (node.children && !target.children) { from.nlink--; to.nlink++; }
      if (!node.children && target.children) { from.nlink++; to.nlink--; }
      this.#touch(from, now);
      this.#touch(to, now);
      return;
    }
    if (targetIno === ino) return;
    if (targetIno !== undefined) {
      if (flags & RENAME_NOREPLACE) throw fuseError('EEXIST');
      const target = this.#node(targetIno);
      if (target.children && !node.children) throw fuseError('EISDIR');
      if (!target.children && node.children) throw fuseError('ENOTDIR');
      if (target.children && target.children.size > 0) throw fuseError('ENOTEMPTY');
      this.#unlinkName(to, newName, target);
    }
    from.children.delete(name);
    to.children.set(newName, ino);
    node.parent = to.ino;
    node.ctimeMs = now;
    if (node.children) {
      from.nlink--;
      to.nlink++;
    }
    this.#touch(from, now);
    this.#touch(to, now);
  }

  #openHandle(node: MemNode, listing: DirEntry[] | null = null): OpenResult {
    const fh = this.#nextFh++;
    this.#handles.set(fh, { ino: node.ino, listing });
    node.opens++;
    return { fh };
  }

  #handle(fh: number): Handle {
    const handle = this.#handles.get(fh);
    if (!handle) throw fuseError('EBADF');
    return handle;
  }

  open(_ctx: RequestContext, nodeid: number, flags: number): OpenResult {
    const node = this.#node(nodeid);
    if (node.children) throw fuseError('EISDIR');
    if (flags & O_TRUNC) {
      this.#resize(node, 0);
      this.#touch(node);
    }
    return this.#openHandle(node);
  }

  read(_ctx: RequestContext, _nodeid: number, fh: number, offset: number, size: number): Uint8Array {
    const node = this.#node(this.#handle(fh).ino);
    node.atimeMs = Date.now();
    if (offset >= node.size) return Buffer.alloc(0);
    // A view is enough: the session writes the reply before this returns to the loop.
    return node.data.subarray(offset, Math.min(node.size, offset + size));
  }

  write(_ctx: RequestContext, _nodeid: number, fh: number, offset: number, data: Buffer): number {
    const node = this.#node(this.#handle(fh).ino);
    const end = offset + data.length;
    if (end > node.size) this.#resize(node, end);
    data.copy(node.data, offset);
    this.#touch(node);
    return data.length;
  }

  flush(): void {}

  release(_ctx: RequestContext, _nodeid: number, fh: number): void {
    const handle = this.#handles.get(fh);
    if (!handle) return;
    this.#handles.delete(fh);
    const node = this.#nodes.get(handle.ino);
    if (!node) return;
    node.opens--;
    this.#collect(node);
  }

  fsync(): void {}

  opendir(_ctx: RequestContext, nodeid: number): OpenResult {
    const dir = this.#dir(nodeid);
    // A snapshot: positions stay valid while the directory changes.
    const listing: DirEntry[] = [
      { name: '.', ino: dir.ino, mode: S_IFDIR },
      { name: '..', ino: dir.parent, mode: S_IFDIR },
    ];
    for (const [name, ino] of dir.children) {
      const node = this.#node(ino);
      listing.push(this.#readdirPlus ? { name, ino, mode: node.mode, entry: this.#entry(node) } : { name, ino, mode: node.mode });
    }
    return this.#openHandle(dir, listing);
  }

  *#from(listing: DirEntry[], offset: number): Generator<DirEntry> {
    for (let i = offset; i < listing.length; i++) yield listing[i]!;
  }

  readdir(_ctx: RequestContext, _nodeid: number, fh: number, offset: number): Iterable<DirEntry> {
    const handle = this.#handle(fh);
    if (!handle.listing) throw fuseError('ENOTDIR');
    return this.#from(handle.listing, offset);
  }

  releasedir(ctx: RequestContext, nodeid: number, fh: number): void {
    this.release(ctx, nodeid, fh);
  }

  statfs(): StatFs {
    const blocks = Math.floor(this.#capacity / 4096);
    const used = Math.ceil(this.#used / 4096);
    const free = Math.max(0, blocks - used);
    return { blocks, bfree: free, bavail: free, files: 1_000_000, ffree: 1_000_000 - this.#nodes.size, bsize: 4096, namelen: 255, frsize: 4096 };
  }
}
