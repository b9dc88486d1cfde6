// A data connection made ahead of a download (FtpClient.prepareDownload,
// as ftpfs does at the open of a file it will read), against a scripted
// peer that serves a file from REST's offset on the last EPSV's connection:
// the download then sends REST and RETR only; any other command closes it
// first; a server that answers 425 gets the download again with EPSV.
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient, FtpClientPool } from '../../../examples/ftpfs/client/index.js';
import { FileCache } from '../../../examples/ftpfs/file-cache.js';
import { FdHandle } from '../../../src/index.js';
import { basics, closeScriptedPeers, scripted, type Peer } from '../../helpers/scripted-ftp-peer.js';

const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await closeScriptedPeers();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The peer; `refuseNextRetr` makes the next RETR a 425 (its data connection dropped), as a server that timed it out would. */
async function fileServer() {
  const state = { refuseNextRetr: false };
  let rest = 0;
  let data: Promise<net.Socket> | null = null;
  // Replies in the order of the commands, as a server gives them: EPSV's
  // comes once its listener is bound, and a pipelined REST waits for it.
  let answered: Promise<void> = Promise.resolve();
  const peer = await scripted(basics([], (verb, arg, p) => {
    answered = answered.then(() => answer(verb, arg, p));
  }));
  async function answer(verb: string, arg: string, p: Peer): Promise<void> {
    if (verb === 'EPSV') {
      let connected!: (socket: net.Socket) => void;
      data = new Promise((resolve) => (connected = resolve));
      const port = await p.passive(connected);
      return p.reply(`229 Entering Extended Passive Mode (|||${port}|)`);
    }
    if (verb === 'REST') {
      rest = Number(arg);
      return p.reply('350 ok');
    }
    if (verb === 'RETR' || verb === 'LIST') {
      const conn = data;
      const from = rest;
      data = null;
      rest = 0;
      if (!conn) return p.reply('425 use EPSV first');
      if (verb === 'RETR' && state.refuseNextRetr) {
        state.refuseNextRetr = false;
        void conn.then((socket) => socket.destroy());
        return p.reply('425 cannot open data connection');
      }
      p.reply('150 here it comes');
      const text = verb === 'RETR' ? content.subarray(from) : Buffer.from(`-rw-r--r-- 1 u g ${content.length} Jan 02 2024 f\r\n`);
      const socket = await conn;
      return new Promise((resolve) => socket.end(text, () => resolve(p.reply('226 done'))));
    }
    p.reply('502 no');
  }
  return { peer, state };
}

function tempFile(): FdHandle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'download-ahead-'));
  dirs.push(dir);
  return new FdHandle(fs.openSync(path.join(dir, 'copy'), 'w+'));
}

function bytesAt(file: FdHandle, offset: number): Buffer {
  const buffer = Buffer.alloc(content.length - offset);
  fs.readSync(file.fd, buffer, 0, buffer.length, offset);
  return buffer;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !predicate(); await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** A client that has made one download (it then knows the server takes EPSV), and its commands from here on. */
async function clientAfterOneDownload(port: number, commands: string[]) {
  const client = new FtpClient({ host: '127.0.0.1', port, timeoutMs: 5000 });
  closers.push(() => client.close());
  const file = tempFile();
  closers.push(async () => file.close());
  await client.downloadToFile('/f', file);
  const from = commands.length;
  return { client, file, since: () => commands.slice(from) };
}

describe('a data connection made ahead of a download', () => {
  it('carries the next download, which sends REST and RETR only', async () => {
    const { peer } = await fileServer();
    const { client, file, since } = await clientAfterOneDownload(peer.port, peer.commands);
    client.prepareDownload();
    expect(client.downloadPrepared).toBe(true);
    await until(() => since().includes('EPSV'), 'the EPSV made ahead');
    expect(await client.downloadToFile('/f', file, { startAt: 100 })).toBe(content.length - 100);
    expect(bytesAt(file, 100)).toEqual(content.subarray(100));
    expect(since()).toEqual(['EPSV', 'REST 100', 'RETR /f']);
    expect(client.downloadPrepared).toBe(false);
  });

  it('is closed before any other command: a listing, then the download, each make their own', async () => {
    const { peer } = await fileServer();
    const { client, file, since } = await clientAfterOneDownload(peer.port, peer.commands);
    client.prepareDownload();
    expect(await client.list('/')).toMatchObject([{ name: 'f', size: content.length }]);
    expect(await client.downloadToFile('/f', file, { startAt: 7 })).toBe(content.length - 7);
    expect(bytesAt(file, 7)).toEqual(content.subarray(7));
    const listing = since().filter((c) => c.startsWith('LIST'));
    expect(since()).toEqual(['EPSV', ...listing.flatMap((c) => ['EPSV', c]), 'EPSV', 'REST 7', 'RETR /f']);
  });

  it('dropped by the server (425 to the RETR): the download starts over with EPSV', async () => {
    const { peer, state } = await fileServer();
    const { client, file, since } = await clientAfterOneDownload(peer.port, peer.commands);
    client.prepareDownload();
    await until(() => since().includes('EPSV'), 'the EPSV made ahead');
    state.refuseNextRetr = true;
    expect(await client.downloadToFile('/f', file, { startAt: 3 })).toBe(content.length - 3);
    expect(bytesAt(file, 3)).toEqual(content.subarray(3));
    expect(since()).toEqual(['EPSV', 'REST 3', 'RETR /f', 'EPSV', 'REST 3', 'RETR /f']);
  });

  it('is not made before the server is known to take EPSV, nor twice', async () => {
    const { peer } = await fileServer();
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    closers.push(() => client.close());
    await client.connect();
    client.prepareDownload();
    expect(client.downloadPrepared).toBe(false);
    const file = tempFile();
    closers.push(async () => file.close());
    await client.downloadToFile('/f', file);
    const from = peer.commands.length;
    client.prepareDownload();
    client.prepareDownload();
    await client.pwd().catch(() => {});
    expect(peer.commands.slice(from).filter((c) => c === 'EPSV')).toEqual(['EPSV']);
  });

  it('is made by the open of a file ftpfs holds no copy of, before its first read', async () => {
    const { peer } = await fileServer();
    const pool = new FtpClientPool({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000, maxConnections: 2 });
    closers.push(() => pool.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'download-ahead-cache-'));
    dirs.push(dir);
    const cache = new FileCache(dir, pool);
    closers.push(() => cache.close());
    // One transfer first: the pool's client then knows the server takes EPSV.
    const warm = tempFile();
    closers.push(async () => warm.close());
    await pool.use('transfer', (client) => client.downloadToFile('/f', warm));
    const from = peer.commands.length;
    const { file } = await cache.open('/f', { size: content.length, mtimeMs: 1 }, 'keep');
    await until(() => peer.commands.length > from, 'the EPSV made at the open');
    expect(await cache.read(file, 4000, 100)).toEqual(content.subarray(4000, 4100));
    expect(peer.commands.slice(from)).toEqual(['EPSV', 'REST 4000', 'RETR /f']);
    cache.release(file);
  });
});
