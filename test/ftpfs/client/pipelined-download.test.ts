// A download into a file at an offset, against a scripted peer: once the
// server is known to take EPSV, EPSV, REST and RETR go out in one write
// (the peer holds its 229 back and sees REST and RETR come first), and a
// refused REST writes nothing of the RETR that followed it (bytes from the
// file's start) and leaves later downloads to go step by step.
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FdHandle } from 'privsep';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient } from '../../../examples/ftpfs/client/index.js';
import { basics, closeScriptedPeers, scripted, type Peer } from '../../helpers/scripted-ftp-peer.js';

const CONTENT = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
const dirs: string[] = [];

afterEach(async () => {
  await closeScriptedPeers();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A peer serving CONTENT from the REST offset, answering in order as
 * servers do, EPSV 50 ms late; it notes, for each command, whether the 229
 * had been sent yet when the command came. `refuseRest` answers REST with
 * 502 (the RETR then sends the file from its first byte).
 */
async function peer(refuseRest: boolean) {
  const log: string[] = [];
  let answered = true;
  let offset = 0;
  let port: Promise<number> = Promise.resolve(0);
  let data: Promise<net.Socket> = new Promise(() => {});
  let replies = Promise.resolve();
  const say = (p: Peer, line: () => Promise<string> | string, delayMs = 0): void => {
    replies = replies.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      p.reply(await line());
    });
  };
  const server = await scripted(basics([], (verb, arg, p) => {
    log.push(`${verb}${answered ? '' : ' (before the 229)'}`);
    if (verb === 'EPSV') {
      answered = false;
      data = new Promise((resolve) => {
        port = p.passive((socket) => {
          socket.on('error', () => {});
          resolve(socket);
        });
      });
      return say(p, async () => {
        answered = true;
        return `229 Entering Extended Passive Mode (|||${await port}|)`;
      }, 50);
    }
    if (verb === 'REST') {
      if (refuseRest) return say(p, () => '502 REST not implemented.');
      offset = Number(arg);
      return say(p, () => `350 Restart position accepted (${arg}).`);
    }
    if (verb === 'RETR') {
      const start = offset;
      offset = 0;
      say(p, async () => {
        (await data).end(CONTENT.subarray(start));
        return '150 Opening BINARY mode data connection.';
      });
      return say(p, () => '226 Transfer complete.', 20);
    }
    say(p, () => '502 no');
  }));
  return { server, log };
}

function localCopy(): { handle: FdHandle; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-pipelined-'));
  dirs.push(dir);
  const file = path.join(dir, 'copy');
  return { handle: new FdHandle(fs.openSync(file, 'w+')), file };
}

describe('FtpClient.downloadToFile with EPSV, REST and RETR pipelined', () => {
  it('sends the three at once once EPSV is known to work, and puts the bytes at their offset', async () => {
    const { server, log } = await peer(false);
    const client = new FtpClient({ host: '127.0.0.1', port: server.port, timeoutMs: 5000 });
    const { handle, file } = localCopy();
    try {
      // The first download learns that the server takes EPSV: one command at a time.
      expect(await client.downloadToFile('/f', handle)).toBe(CONTENT.length);
      expect(log.slice(-2)).toEqual(['EPSV', 'RETR']);
      fs.ftruncateSync(handle.fd, 0);
      expect(await client.downloadToFile('/f', handle, { startAt: 10 })).toBe(CONTENT.length - 10);
      expect(log.slice(-3)).toEqual(['EPSV', 'REST (before the 229)', 'RETR (before the 229)']);
      const copy = fs.readFileSync(file);
      expect(copy.subarray(10)).toEqual(CONTENT.subarray(10));
      expect(copy.subarray(0, 10)).toEqual(Buffer.alloc(10));
      // The control connection is in step.
      await expect(client.send('NOOP')).rejects.toMatchObject({ code: 502 });
      expect(client.connections).toBe(1);
    } finally {
      handle.close();
      await client.close();
    }
  });

  it('a refused REST writes nothing, fails with its reply, and the next downloads go step by step', async () => {
    const { server, log } = await peer(true);
    const client = new FtpClient({ host: '127.0.0.1', port: server.port, timeoutMs: 5000 });
    const { handle, file } = localCopy();
    try {
      expect(await client.downloadToFile('/f', handle)).toBe(CONTENT.length);
      fs.ftruncateSync(handle.fd, 0);
      await expect(client.downloadToFile('/f', handle, { startAt: 10 })).rejects.toMatchObject({ name: 'FtpError', code: 502 });
      expect(log.slice(-3)).toEqual(['EPSV', 'REST (before the 229)', 'RETR (before the 229)']);
      // The RETR that followed would have sent the file from its start: none of it is in the copy.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fs.readFileSync(file).length).toBe(0);
      // A new session, where each command waits for the reply before it.
      await expect(client.downloadToFile('/f', handle, { startAt: 10 })).rejects.toMatchObject({ code: 502 });
      expect(log.slice(-2)).toEqual(['EPSV', 'REST']);
      expect(client.connections).toBe(2);
      expect(await client.downloadToFile('/f', handle)).toBe(CONTENT.length);
      expect(fs.readFileSync(file)).toEqual(CONTENT);
      expect(client.connections).toBe(2);
    } finally {
      handle.close();
      await client.close();
    }
  });
});
