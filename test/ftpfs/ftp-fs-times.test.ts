// FtpFs's utimens against a scripted peer that has MFMT but refuses it with
// 550 where it cannot set a time, as pyftpdlib does for directories: a
// directory that is there takes the time (tar x, rsync -a go on), a file
// that is there is EPERM, and only a path that is gone is ENOENT.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClientPool } from '../../examples/ftpfs/client/index.js';
import { FtpFs } from '../../examples/ftpfs/ftp-fs.js';
import type { RequestContext } from '../../examples/ftpfs/fuse/operations.js';
import { ROOT_ID } from '../../examples/ftpfs/node-table.js';
import { basics, closeScriptedPeers, replyTransfer, scripted } from '../helpers/scripted-ftp-peer.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await closeScriptedPeers();
});

const ctx: RequestContext = { uid: 0, gid: 0, pid: process.pid, unique: 1, signal: new AbortController().signal };
const DIR_LINE = 'type=dir;modify=20240102030405; dir\r\n';
const FILE_LINE = 'type=file;size=5;modify=20240102030405; file.txt\r\n';

describe('FtpFs: a time the server refuses to set (MFMT 550)', () => {
  it('is kept for a directory that is there, EPERM for a file, ENOENT for what is gone', async () => {
    let listing = DIR_LINE + FILE_LINE;
    const peer = await scripted(basics(['MFMT', 'MLST type*;size*;modify*;'], (verb, arg, p) => {
      if (verb === 'EPSV') {
        const text = listing;
        void p.passive((data) => data.end(text)).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
        return;
      }
      if (verb === 'MLSD') return replyTransfer(p);
      if (verb === 'MFMT') return p.reply(`550 ${arg.split(' ')[1]} is not retrievable.`);
      p.reply('502 no');
    }));
    const pool = new FtpClientPool({ host: '127.0.0.1', port: peer.port, user: 'u', password: 'p', timeoutMs: 5000, maxConnections: 2 });
    closers.push(() => pool.close());
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-times-'));
    const ftpFs = new FtpFs({ pool, remoteRoot: '/', cacheDir, dirTtlMs: 60_000 });
    closers.push(async () => void await ftpFs.close());

    const when = Date.UTC(2001, 1, 3, 4, 5, 6);
    const dir = await ftpFs.lookup(ctx, ROOT_ID, 'dir');
    expect(await ftpFs.setattr(ctx, dir.nodeid!, { mtimeMs: when }, undefined)).toMatchObject({ mtimeMs: when });
    const file = await ftpFs.lookup(ctx, ROOT_ID, 'file.txt');
    await expect(ftpFs.setattr(ctx, file.nodeid!, { mtimeMs: when }, undefined)).rejects.toMatchObject({ code: 'EPERM' });
    expect(peer.commands.filter((c) => c.startsWith('MFMT'))).toEqual(['MFMT 20010203040506 /dir', 'MFMT 20010203040506 /file.txt']);
    // Removed on the server meanwhile: the refusal means it is gone.
    listing = FILE_LINE;
    await expect(ftpFs.setattr(ctx, dir.nodeid!, { mtimeMs: when }, undefined)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
