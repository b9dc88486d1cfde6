// FileCache against scripted peers: a download stops where the copy holds
// bytes already; three downloads of a file run at most, a fourth stopping
// the least recently useful; and a reader that got every byte and closed
// the file before the server's final reply (226) leaves a whole copy, so
// the next open is served by it (the kernel may keep its pages) without
// another RETR.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClientPool } from '../../examples/ftpfs/client/index.js';
import { FileCache, SPARE_FILE } from '../../examples/ftpfs/file-cache.js';
import { basics, closeScriptedPeers, scripted } from '../helpers/scripted-ftp-peer.js';

const closers: Array<() => Promise<void>> = [];
const MiB = 1024 * 1024;

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await closeScriptedPeers();
});

interface Retr {
  start: number;
  sent: number;
  /** The client closed the data connection before the end of the file. */
  cut: boolean;
}

/**
 * A peer serving `content` at `chunk` bytes every 10 ms from REST's offset,
 * each RETR recorded; a data connection the client closes ends with 426.
 */
async function slowServer(content: Buffer, chunk: number) {
  const retrs: Retr[] = [];
  const conns = new Map<object, net.Socket>();
  let rest = 0;
  const peer = await scripted(basics([], (verb, arg, p) => {
    if (verb === 'EPSV') {
      void p.passive((conn) => conns.set(p, conn)).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
      return;
    }
    if (verb === 'REST') {
      rest = Number(arg);
      return p.reply('350 ok');
    }
    if (verb === 'RETR') {
      const retr: Retr = { start: rest, sent: 0, cut: false };
      rest = 0;
      retrs.push(retr);
      p.reply('150 here it comes');
      const send = (): void => {
        const conn = conns.get(p);
        if (!conn) return void setTimeout(send, 5);
        conns.delete(p);
        conn.on('error', () => {});
        conn.on('close', () => {
          clearInterval(timer);
          if (retr.start + retr.sent < content.length) {
            retr.cut = true;
            p.reply('426 closed');
          }
        });
        const timer = setInterval(() => {
          const at = retr.start + retr.sent;
          if (at >= content.length) {
            clearInterval(timer);
            conn.end(() => p.reply('226 done'));
            return;
          }
          const piece = content.subarray(at, at + chunk);
          retr.sent += piece.length;
          conn.write(piece);
        }, 10);
      };
      return send();
    }
    p.reply('502 no');
  }));
  return { peer, retrs };
}

function cacheOn(port: number, maxConnections: number): FileCache {
  const pool = new FtpClientPool({ host: '127.0.0.1', port, user: 'u', password: 'p', timeoutMs: 5000, maxConnections });
  closers.push(() => pool.close());
  const cache = new FileCache(fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-file-cache-')), pool);
  closers.push(() => cache.close());
  return cache;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !predicate(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('FileCache: downloads of ranges', () => {
  it('stops a download where the copy holds bytes already', async () => {
    const content = crypto.randomBytes(4 * MiB);
    const { peer, retrs } = await slowServer(content, 64 * 1024);
    const cache = cacheOn(peer.port, 4);
    const { file } = await cache.open('/f', { size: content.length, mtimeMs: 1 }, 'keep');
    expect(await cache.read(file, 2 * MiB, 4096)).toEqual(content.subarray(2 * MiB, 2 * MiB + 4096));
    await until(() => file.downloaders.length === 0, 'the download from 2 MiB to reach the end');
    expect(await cache.read(file, 0, 4096)).toEqual(content.subarray(0, 4096));
    await until(() => file.downloaders.length === 0, 'the download from 0 to stop');
    expect(file.complete).toBe(true);
    expect(retrs.map((r) => r.start)).toEqual([2 * MiB, 0]);
    // It stopped at 2 MiB, give or take what was on its way: not at the end of the file.
    expect(retrs[1]!.cut).toBe(true);
    expect(retrs[1]!.sent).toBeLessThan(3 * MiB);
    cache.release(file);
  });

  it('keeps three downloads of a file running; a fourth stops the least recently useful', async () => {
    const content = crypto.randomBytes(16 * MiB);
    // 1.6 MB/s: no download gets near another's start during the test.
    const { peer, retrs } = await slowServer(content, 16 * 1024);
    const cache = cacheOn(peer.port, 6);
    const { file } = await cache.open('/f', { size: content.length, mtimeMs: 1 }, 'keep');
    for (const at of [0, 4 * MiB, 8 * MiB]) expect(await cache.read(file, at, 4096)).toEqual(content.subarray(at, at + 4096));
    // The download from 4 MiB is useful again: the one from 0 is now the least recently useful.
    expect(await cache.read(file, 4 * MiB + 8192, 4096)).toEqual(content.subarray(4 * MiB + 8192, 4 * MiB + 12288));
    expect(await cache.read(file, 12 * MiB, 4096)).toEqual(content.subarray(12 * MiB, 12 * MiB + 4096));
    await until(() => retrs[0]!.cut, 'the download from 0 to be stopped');
    expect(retrs.map((r) => r.start)).toEqual([0, 4 * MiB, 8 * MiB, 12 * MiB]);
    expect(retrs.filter((r) => r.cut)).toHaveLength(1);
    expect(file.downloaders.map((d) => d.start).sort((a, b) => a - b)).toEqual([4 * MiB, 8 * MiB, 12 * MiB]);
    cache.release(file);
    await until(() => file.downloaders.length === 0, 'the downloads to stop at the last close');
    expect(retrs.every((r) => r.cut)).toBe(true);
  });
});

describe('FileCache: a copy whose last byte came before the server\'s final reply', () => {
  it('is whole when the reader closes it, and the next open uses it without a RETR', async () => {
    const content = Buffer.from('the whole file, sent before the 226\n'.repeat(1000));
    let data: net.Socket | null = null;
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb === 'EPSV') {
        void p.passive((conn) => (data = conn)).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
        return;
      }
      if (verb === 'RETR') {
        p.reply('150 here it comes');
        const send = (): void => {
          if (!data) return void setTimeout(send, 5);
          data.end(content);
          data = null;
          // The final reply comes well after the last byte.
          setTimeout(() => p.reply('226 done'), 1500);
        };
        return send();
      }
      p.reply('502 no');
    }));
    const pool = new FtpClientPool({ host: '127.0.0.1', port: peer.port, user: 'u', password: 'p', timeoutMs: 5000, maxConnections: 2 });
    closers.push(() => pool.close());
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-file-cache-'));
    const cache = new FileCache(cacheDir, pool);
    closers.push(() => cache.close());
    const listed = { size: content.length, mtimeMs: Date.UTC(2024, 0, 2) };

    const first = await cache.open('/f', listed, 'keep');
    expect(first.cached).toBe(false);
    expect(await cache.read(first.file, 0, content.length)).toEqual(content);
    cache.release(first.file);
    expect(first.file.complete).toBe(true);

    const second = await cache.open('/f', listed, 'keep');
    expect(second.cached).toBe(true);
    expect(await cache.read(second.file, 0, content.length)).toEqual(content);
    cache.release(second.file);
    // The first download's 226 has come and gone: still one RETR.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(peer.commands.filter((c) => c.startsWith('RETR'))).toEqual(['RETR /f']);
    expect(cache.stats.downloads).toBe(1);
  });
});

describe('FileCache: the spare file', () => {
  it('is made ahead, becomes the next new copy (renamed to its number), is made again, and goes at close, even while being made', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-spare-'));
    // No server: a new file ('create') sends nothing.
    const pool = new FtpClientPool({ host: '127.0.0.1', port: 9, user: 'u', password: 'p', timeoutMs: 5000 });
    closers.push(() => pool.close());
    const cache = new FileCache(dir, pool);
    closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    await cache.prepareSpare();
    const spare = path.join(dir, SPARE_FILE);
    const inode = fs.statSync(spare).ino;
    const { file } = await cache.open('/new.txt', null, 'create');
    expect(path.dirname(file.local)).toBe(dir);
    expect(path.basename(file.local)).toMatch(/^\d+$/);
    expect(fs.statSync(file.local).ino).toBe(inode);
    await cache.write(file, 0, Buffer.from('hello'));
    expect(fs.readFileSync(file.local, 'utf8')).toBe('hello');
    await until(() => fs.existsSync(spare) && fs.statSync(spare).ino !== inode, 'the next spare file');
    expect(fs.statSync(spare).size).toBe(0);
    cache.release(file);
    // Another new copy takes that spare, and the next is still being made when the cache closes.
    const { file: second } = await cache.open('/second.txt', null, 'create');
    cache.release(second);
    await cache.close(true);
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(file.local), path.basename(second.local)].sort());
  });
});
