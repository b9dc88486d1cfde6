// FileCache against a scripted peer that sends a file's bytes at once and
// its final reply (226) only later, as servers that end the transfer after
// a lingering close do: a reader that got every byte and closed the file
// before the 226 leaves a whole copy, and the next open is served by it
// (the kernel may keep its pages) without another RETR.
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClientPool } from '../../examples/ftpfs/client/index.js';
import { FileCache } from '../../examples/ftpfs/file-cache.js';
import { basics, closeScriptedPeers, scripted } from '../helpers/scripted-ftp-peer.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await closeScriptedPeers();
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
