// The FTP client's FTPS start against a scripted peer on 127.0.0.1, for what
// no server at hand does on purpose: AUTH TLS refused, a peer that answers
// 234 and then hangs up or stays silent, a plain server taken for an
// implicit one. Whatever fails, no USER or PASS is sent in clear text.
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient } from '../../../examples/ftpfs/client/index.js';
import { basics, closeScriptedPeers, scripted } from '../../helpers/scripted-ftp-peer.js';

afterEach(closeScriptedPeers);

const client = (port: number, secure: 'explicit' | 'implicit' = 'explicit', timeoutMs = 10_000): FtpClient =>
  new FtpClient({ host: '127.0.0.1', port, user: 'alice', password: 'secret', secure, timeoutMs, reconnect: false });

describe('FtpClient FTPS start against a scripted peer', () => {
  it('a server that refuses AUTH TLS: the refusal, and no login in clear text', async () => {
    const peer = await scripted(basics([], (_verb, _arg, p) => p.reply('502 AUTH not understood')));
    await expect(client(peer.port).connect()).rejects.toMatchObject({ code: 502, message: '502 the server refused AUTH TLS: AUTH not understood' });
    expect(peer.commands).toEqual(['AUTH TLS']);
  });

  it('a server that hangs up after 234: a clear error, and no login in clear text', async () => {
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb === 'AUTH') {
        p.reply('234 go ahead');
        p.socket.end();
      }
    }));
    await expect(client(peer.port).connect()).rejects.toMatchObject({
      code: 'ERR_FTP_CLOSED', message: expect.stringMatching(/^(127\.0\.0\.1:\d+ closed the connection during the TLS handshake|TLS handshake with 127\.0\.0\.1:\d+ failed: .*)$/),
    });
    expect(peer.commands).toEqual(['AUTH TLS']);
  });

  it('a server silent after 234: the handshake is bounded by the timeout (ETIMEDOUT)', async () => {
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb === 'AUTH') p.reply('234 go ahead');
    }));
    await expect(client(peer.port, 'explicit', 500).connect()).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/TLS handshake with 127\.0\.0\.1:\d+ not done within 500 ms/) });
    expect(peer.commands).toEqual(['AUTH TLS']);
  });

  it('implicit FTPS against a plain server: the handshake fails, nothing is sent in clear text', async () => {
    const peer = await scripted(basics([], (_verb, _arg, p) => p.reply('500 ?')));
    await expect(client(peer.port, 'implicit').connect()).rejects.toMatchObject({ code: 'ERR_FTP_CLOSED', message: expect.stringMatching(/^TLS handshake with 127\.0\.0\.1:\d+ failed: /) });
    expect(peer.commands.filter((line) => /^(USER|PASS)/.test(line))).toEqual([]);
  });
});
