// ftpfs's directory listings: fresh for a time, fetched once for callers
// that ask together, edited in place after our own changes.
import { describe, expect, it } from 'vitest';
import type { FileInfo } from '../../examples/ftp/index.js';
import { DirCache } from '../../examples/ftpfs/dir-cache.js';

function fakeServer(tree: Record<string, string[]>) {
  const calls: string[] = [];
  const list = async (dir: string): Promise<FileInfo[]> => {
    calls.push(dir);
    await new Promise((r) => setTimeout(r, 5));
    // A name ending in '/' is a directory.
    return (tree[dir] ?? []).map((name): FileInfo => (name.endsWith('/') ? { name: name.slice(0, -1), type: 'directory', size: 0 } : { name, type: 'file', size: 1 }));
  };
  return { calls, list };
}

describe('DirCache', () => {
  it('lists once for callers that ask together, and again when the listing is stale', async () => {
    const server = fakeServer({ '/': ['a', 'd/'] });
    const cache = new DirCache(server.list, () => {}, 60_000);
    const [x, y] = await Promise.all([cache.get('/'), cache.get('/')]);
    expect(x).toBe(y);
    expect([...x.keys()]).toEqual(['a', 'd']);
    await cache.get('/');
    expect(server.calls).toEqual(['/']);
    const stale = new DirCache(server.list, () => {}, 0);
    await stale.get('/');
    await stale.get('/');
    expect(server.calls).toEqual(['/', '/', '/']);
    expect(stale.fetches).toBe(2);
  });

  it('adds entries the overlay knows, and records our own changes', async () => {
    const server = fakeServer({ '/': ['a'], '/d': ['x'], '/d/sub': ['y'] });
    const cache = new DirCache(server.list, (dir, entries) => {
      if (dir === '/') entries.set('pending', { name: 'pending', type: 'file', size: 0 });
    }, 60_000);
    expect([...(await cache.get('/')).keys()]).toEqual(['a', 'pending']);
    cache.put('/', { name: 'new', type: 'directory', size: 0 });
    expect(cache.peek('/', 'new')?.type).toBe('directory');
    cache.remove('/', 'a');
    expect(cache.peek('/', 'a')).toBeUndefined();
    await cache.get('/d');
    await cache.get('/d/sub');
    cache.put('/', { name: 'd', type: 'directory', size: 0 });
    cache.rename('/d', '/e');
    expect(cache.peek('/', 'd')).toBeUndefined();
    expect(cache.peek('/', 'e')?.name).toBe('e');
    expect(cache.peek('/e', 'x')?.name).toBe('x');
    expect(cache.peek('/e/sub', 'y')?.name).toBe('y');
    expect(cache.peek('/d', 'x')).toBeUndefined();
    cache.invalidateTree('/e');
    expect(cache.peek('/e/sub', 'y')).toBeUndefined();
  });

  it('a failed listing is not kept', async () => {
    let fail = true;
    const cache = new DirCache(async () => {
      if (fail) throw new Error('down');
      return [{ name: 'ok', type: 'file', size: 0 }];
    }, () => {}, 60_000);
    await expect(cache.get('/')).rejects.toThrow('down');
    fail = false;
    expect([...(await cache.get('/')).keys()]).toEqual(['ok']);
  });

  it('a change made while a listing is on its way is in that listing when it arrives', async () => {
    // The server listed before the upload ended, so its answer lacks the file.
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const calls: string[] = [];
    const cache = new DirCache(async (dir) => {
      calls.push(dir);
      await gate;
      return dir === '/' ? [{ name: 'gone', type: 'file', size: 1 }, { name: 'moved', type: 'file', size: 1 }] : [{ name: 'x', type: 'file', size: 1 }];
    }, () => {}, 60_000);
    const root = cache.get('/');
    const sub = cache.get('/sub');
    const target = cache.get('/target');
    cache.put('/', { name: 'uploaded', type: 'file', size: 7 });
    cache.remove('/', 'gone');
    cache.rename('/moved', '/target/moved');
    cache.invalidateTree('/sub');
    release();
    expect([...(await root).keys()].sort()).toEqual(['uploaded']);
    await Promise.all([sub, target]);
    expect(cache.peek('/', 'uploaded')?.size).toBe(7);
    expect(cache.peek('/', 'gone')).toBeUndefined();
    expect(cache.peek('/', 'moved')).toBeUndefined();
    // A listing that cannot be brought up to date (a tree forgotten, an entry
    // moved in whose details were not known) is not kept: the next use lists again.
    await cache.get('/sub');
    await cache.get('/target');
    await cache.get('/');
    expect(calls).toEqual(['/', '/sub', '/target', '/sub', '/target']);
  });
});
