// Dot files in listings from servers without MLSD, against scripted peers
// that answer LIST as real servers do: vsftpd and pure-ftpd hide dot files
// from LIST and show them, with `.` and `..`, for `LIST -a`; pyftpdlib takes
// `-a dir` for a path (550); a server may ignore `-a`. Which one the server
// is, is learnt once and shared by the clients of a pool.
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient, FtpClientPool, type ListSupport } from '../../../examples/ftpfs/client/index.js';
import { basics, closeScriptedPeers, replyTransfer, scripted, type Scripted } from '../../helpers/scripted-ftp-peer.js';

afterEach(closeScriptedPeers);

/** A LIST answer: the lines sent on the data connection, or a failure reply's code. */
type Answer = string[] | number;

const vsftpdAll = [
  'drwxr-xr-x    2 1001     0            4096 Dec 06 15:10 .',
  'drwxr-xr-x    4 1001     0            4096 Dec 06 15:10 ..',
  '-rw-r--r--    1 1001     0               2 Dec 06 15:10 .hidden',
  '-rw-r--r--    1 1001     0               2 Dec 06 15:10 vis',
];
const vsftpdPlain = [vsftpdAll[3]!];
const pyftpdlibPlain = [
  '-rw-r--r--   1 root     root            2 Dec 06 15:10 .hidden',
  '-rw-r--r--   1 root     root            2 Dec 06 15:10 vis',
];

/** vsftpd (and pure-ftpd): `-a` shows everything; a directory that is not there lists nothing (226). */
function vsftpdList(arg: string): Answer {
  if (arg === '-a /d') return vsftpdAll;
  if (arg === '/d') return vsftpdPlain;
  return [];
}

/** pyftpdlib: LIST shows dot files; `-a /d` is a path that is not there. */
function pyftpdlibList(arg: string): Answer {
  return arg === '/d' ? pyftpdlibPlain : 550;
}

/** A server that ignores options and hides dot files. */
function ignoringList(arg: string): Answer {
  return arg.replace(/^-a /, '') === '/d' ? vsftpdPlain : [];
}

/** A server without MLSD whose LIST answers with `list`, over passive data connections. */
async function listingPeer(list: (arg: string) => Answer): Promise<Scripted> {
  let data: Promise<net.Socket> | null = null;
  return scripted(basics(['EPSV', 'SIZE'], (verb, arg, p) => {
    if (verb === 'EPSV') {
      data = new Promise((resolve) => void p.passive(resolve).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`)));
      return;
    }
    if (verb !== 'LIST') return p.reply('502 no');
    const answer = list(arg);
    const connection = data!;
    data = null;
    if (typeof answer === 'number') {
      void connection.then((socket) => socket.destroy());
      return p.reply(`${answer} No such file or directory.`);
    }
    void connection.then((socket) => socket.end(answer.map((line) => `${line}\r\n`).join('')));
    replyTransfer(p);
  }));
}

const lists = (peer: Scripted) => peer.commands.filter((c) => c.startsWith('LIST'));
const names = (entries: { name: string }[]) => entries.map((e) => e.name);

describe('FtpClient.list on a server without MLSD', () => {
  it('uses LIST -a where it shows `.` (vsftpd, pure-ftpd): dot files listed, `.` and `..` not', async () => {
    const peer = await listingPeer(vsftpdList);
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    expect(names(await client.list('/d'))).toEqual(['.hidden', 'vis']);
    expect(names(await client.list('/d'))).toEqual(['.hidden', 'vis']);
    expect(lists(peer)).toEqual(['LIST -a /d', 'LIST -a /d']);
    await client.close();
  });

  it('uses plain LIST from then on where `-a dir` is refused as a path (pyftpdlib)', async () => {
    const peer = await listingPeer(pyftpdlibList);
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    expect(names(await client.list('/d'))).toEqual(['.hidden', 'vis']);
    expect(names(await client.list('/d'))).toEqual(['.hidden', 'vis']);
    expect(lists(peer)).toEqual(['LIST -a /d', 'LIST /d', 'LIST /d']);
    await client.close();
  });

  it('uses plain LIST from then on where `-a` is ignored: dot files the server hides stay hidden', async () => {
    const peer = await listingPeer(ignoringList);
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    expect(names(await client.list('/d'))).toEqual(['vis']);
    expect(names(await client.list('/d'))).toEqual(['vis']);
    expect(lists(peer)).toEqual(['LIST -a /d', 'LIST /d']);
    await client.close();
  });

  it('learns nothing from a directory that lists nothing either way, and decides at the next one that tells', async () => {
    const peer = await listingPeer(vsftpdList);
    const support: ListSupport = {};
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000, listSupport: support });
    expect(await client.list('/missing')).toEqual([]);
    expect(support.all).toBeUndefined();
    expect(names(await client.list('/d'))).toEqual(['.hidden', 'vis']);
    expect(support.all).toBe(true);
    expect(lists(peer)).toEqual(['LIST -a /missing', 'LIST /missing', 'LIST -a /d']);
    await client.close();
  });

  it('keeps a failure of plain LIST after a refused -a as the error, learning nothing', async () => {
    const peer = await listingPeer(() => 550);
    const support: ListSupport = {};
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000, listSupport: support });
    await expect(client.list('/gone')).rejects.toMatchObject({ name: 'FtpError', code: 550 });
    expect(support.all).toBeUndefined();
    expect(lists(peer)).toEqual(['LIST -a /gone', 'LIST /gone']);
    await client.close();
  });

  it('shares what one client learnt with the other clients of a pool', async () => {
    const peer = await listingPeer(pyftpdlibList);
    const pool = new FtpClientPool({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000, maxConnections: 2 });
    try {
      expect(names(await pool.use('command', (client) => client.list('/d')))).toEqual(['.hidden', 'vis']);
      // The first client is held: the listing goes through a second one.
      const second = await pool.use('command', () => pool.use('command', (client) => client.list('/d')));
      expect(names(second)).toEqual(['.hidden', 'vis']);
      expect(pool.size).toBe(2);
      expect(lists(peer)).toEqual(['LIST -a /d', 'LIST /d', 'LIST /d']);
    } finally {
      await pool.close();
    }
  });

  it('does not send LIST where the server offers MLSD', async () => {
    const peer = await scripted(basics(['MLST type*;size*;'], (verb, _arg, p) => {
      if (verb === 'EPSV') return void p.passive((data) => data.end('type=file;size=2; .hidden\r\ntype=cdir; .\r\n')).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
      if (verb === 'MLSD') return replyTransfer(p);
      p.reply('502 no');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    expect(names(await client.list('/d'))).toEqual(['.hidden']);
    expect(lists(peer)).toEqual([]);
    await client.close();
  });
});
