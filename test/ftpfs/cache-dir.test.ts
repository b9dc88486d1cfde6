// The cache directory's name, lock and index, on real files and processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheKey, lockCacheDir } from '../../examples/ftpfs/cache-dir.js';
import { INDEX_FILE, IndexWriter, JOURNAL_DIR, UnreadableIndexError, loadIndex, saveIndex, type IndexEntry } from '../../examples/ftpfs/cache-index.js';
import { scratchDir } from '../helpers/scratch.js';

const scratch = scratchDir('privsep-ftpfs-cache-dir-');
afterAll(() => scratch.remove());

describe('cacheKey', () => {
  it('names the server, user and root readably, and tells apart what differs', () => {
    const key = cacheKey('alice', 'ftp.example.org', 21, '/pub');
    expect(key).toMatch(/^alice@ftp\.example\.org:21_pub-[0-9a-f]{12}$/);
    expect(cacheKey('alice', 'ftp.example.org', 21, '/pub')).toBe(key);
    const others = [cacheKey('bob', 'ftp.example.org', 21, '/pub'), cacheKey('alice', 'ftp.example.org', 2121, '/pub'), cacheKey('alice', 'ftp.example.org', 21, '/pub/')];
    expect(new Set([key, ...others]).size).toBe(4);
    expect(cacheKey('u', 'h', 21, `/${'x/'.repeat(200)}`).length).toBeLessThan(80);
    expect(cacheKey('u', 'h', 21, '/../a b')).not.toMatch(/\/| /);
  });
});

describe('lockCacheDir', () => {
  it('refuses a directory a running process holds, and takes it once that process is gone', async () => {
    const dir = path.join(scratch.path, 'locked');
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'lock'), `${other.pid}\n`);
      expect(lockCacheDir(dir)).toEqual({ heldBy: other.pid });
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('close', resolve));
    }
    const lock = lockCacheDir(dir);
    expect('release' in lock).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    (lock as { release(): void }).release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('the index', () => {
  const entry: IndexEntry = {
    remote: '/w/note.txt', local: '3', size: 5, ranges: [[0, 5]], version: null, dirty: true, onServer: false,
    mtimeMs: 1_700_000_000_000, pendingMode: 0o600, pendingMtimeMs: null, lastError: '421 bye', nextRetryAt: 1_700_000_001_000,
  };

  it('is written whole and read back; no index is no copies', async () => {
    const dir = fs.mkdtempSync(path.join(scratch.path, 'index-'));
    expect(loadIndex(dir)).toEqual([]);
    await saveIndex(dir, [entry, { ...entry, remote: '/big.bin', local: '4', ranges: [[0, 4096]], size: 8192, dirty: false, onServer: true, version: { size: 8192, mtimeMs: 1000 } }]);
    expect(fs.readdirSync(dir)).toEqual([INDEX_FILE]);
    expect(loadIndex(dir)).toEqual([entry, expect.objectContaining({ remote: '/big.bin', ranges: [[0, 4096]] })]);
  });

  it('a record of one copy overrides index.json until the next save takes it in', async () => {
    const dir = fs.mkdtempSync(path.join(scratch.path, 'journal-'));
    let state: IndexEntry[] = [{ ...entry, dirty: false, onServer: true, lastError: null, nextRetryAt: null }];
    const writer = new IndexWriter(dir, () => state);
    await writer.save();
    const failed = { ...entry, lastError: 'connect ECONNREFUSED' };
    await writer.record(failed);
    expect(fs.readdirSync(path.join(dir, JOURNAL_DIR))).toEqual(['3.json']);
    expect(loadIndex(dir)).toEqual([failed]);
    // A later mount's writer takes the records it finds into its first save.
    state = [failed];
    await new IndexWriter(dir, () => state).save();
    expect(fs.readdirSync(path.join(dir, JOURNAL_DIR))).toEqual([]);
    expect(loadIndex(dir)).toEqual([failed]);
    // A copy deleted since its record is gone with the next save.
    await writer.record(failed);
    state = [];
    await writer.save();
    expect(loadIndex(dir)).toEqual([]);
  });

  it('a corrupt journal record makes the index unreadable too', () => {
    const dir = fs.mkdtempSync(path.join(scratch.path, 'bad-journal-'));
    fs.mkdirSync(path.join(dir, JOURNAL_DIR));
    fs.writeFileSync(path.join(dir, JOURNAL_DIR, '3.json'), '{"format":1,"file":');
    expect(() => loadIndex(dir)).toThrow(/3\.json is not JSON/);
    fs.writeFileSync(path.join(dir, JOURNAL_DIR, '3.json'), JSON.stringify({ format: 1, file: { ...entry, local: '4' } }));
    expect(() => loadIndex(dir)).toThrow(/records another copy/);
  });

  it.each([
    ['{ half', /not JSON/],
    [JSON.stringify({ format: 2, files: [] }), /format 2 is newer/],
    [JSON.stringify({ format: 1 }), /lists no files/],
    [JSON.stringify({ files: [] }), /no format/],
    [JSON.stringify({ format: 1, files: [{ remote: 'relative', local: '1' }] }), /entry 0/],
    [JSON.stringify({ format: 1, files: [{ ...entry, local: '../escape' }] }), /entry 0/],
  ])('refuses %s with a reason, and leaves it as it is', (text, reason) => {
    const dir = fs.mkdtempSync(path.join(scratch.path, 'bad-'));
    fs.writeFileSync(path.join(dir, INDEX_FILE), text);
    expect(() => loadIndex(dir)).toThrow(UnreadableIndexError);
    expect(() => loadIndex(dir)).toThrow(reason);
    expect(fs.readFileSync(path.join(dir, INDEX_FILE), 'utf8')).toBe(text);
  });
});
