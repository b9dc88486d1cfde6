// The cache directory's name, lock and index, on real files and processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheKey, lockCacheDir } from '../../examples/ftpfs/cache-dir.js';
import { INDEX_FILE, UnreadableIndexError, loadIndex, saveIndex, type IndexEntry } from '../../examples/ftpfs/cache-index.js';
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

  it.each([
    ['{ half', /not JSON/],
    [JSON.stringify({ format: 2, files: [] }), /format 2 is newer/],
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
