// The FTP client against a scripted peer on 127.0.0.1, for what no server at
// hand does on purpose: silence (timeouts), oversized replies, EPSV refused
// (PASV fallback), MLSD, a connection dropped before a reply (new login and
// one retry), a 421 answer.
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FtpClient, FtpTransport } from '../../../examples/ftpfs/client/index.js';
import { openDataConnection } from '../../../examples/ftpfs/client/data-connection.js';
import { basics, closeScriptedPeers, replyTransfer, scripted } from '../../helpers/scripted-ftp-peer.js';

afterEach(closeScriptedPeers);

const MLSD_TEXT = 'type=dir;modify=20240102030405; sub\r\ntype=file;size=12;modify=20240102030405;unix.mode=0640; a file.txt\r\ntype=cdir; .\r\n';

describe('FtpClient against a scripted peer', () => {
  it('leaves no timer behind when a data connection is closed before it connected (a transfer refused at once)', async () => {
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb === 'EPSV') return void p.passive(() => {}).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
      p.reply('502 no');
    }));
    const { transport } = await FtpTransport.connect({ host: '127.0.0.1', port: peer.port, timeoutMs: 60_000 });
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const data = await openDataConnection(transport, { mode: 'passive', support: {} });
    // Still connecting: the connect completes on a later turn of the event loop.
    data.close();
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(timers()).toBe(before);
    await expect(data.socket()).rejects.toThrow(/closed/);
    transport.close();
  });

  it('turns the unix.mode fact on with OPTS MLST when FEAT offers it unselected, so listings show modes', async () => {
    let modeOn = false;
    const peer = await scripted(basics(['MLST type*;size*;modify*;perm*;unix.mode;unix.uid;'], (verb, arg, p) => {
      if (verb === 'OPTS') {
        modeOn = /unix\.mode;/i.test(arg);
        return p.reply(`200 MLST OPTS ${arg.slice('MLST '.length)}`);
      }
      if (verb === 'EPSV') {
        const text = `type=file;size=3;modify=20240102030405;perm=r;${modeOn ? 'unix.mode=0750;' : ''} tool.sh\r\n`;
        void p.passive((data) => data.end(text)).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
        return;
      }
      if (verb === 'MLSD') return replyTransfer(p);
      p.reply('502 no');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    expect(await client.list('/')).toMatchObject([{ name: 'tool.sh', mode: 0o750 }]);
    expect(peer.commands.filter((c) => c.startsWith('OPTS MLST'))).toEqual(['OPTS MLST type;size;modify;perm;unix.mode;']);
    await client.close();
    // Not when the server gives the fact already, nor when MLSD is not used.
    for (const [features, useMlsd] of [[['MLST type*;size*;unix.mode*;'], true], [['MLST type*;size*;unix.mode;'], false]] as const) {
      const other = await scripted(basics([...features], (_verb, _arg, p) => p.reply('200 ok')));
      const plain = new FtpClient({ host: '127.0.0.1', port: other.port, timeoutMs: 5000, useMlsd });
      await plain.connect();
      expect(other.commands.filter((c) => c.startsWith('OPTS'))).toEqual([]);
      await plain.close();
    }
  });

  it('a data connection that fails reports the server\'s reply to the transfer, with the socket\'s error as its cause', async () => {
    // A port nobody listens on, held by the local end of an open connection so that nobody can take it.
    const holderServer = net.createServer();
    await new Promise<void>((resolve) => holderServer.listen(0, '127.0.0.1', resolve));
    const holder = net.connect((holderServer.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => holder.once('connect', resolve));
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb === 'EPSV') return p.reply(`229 Entering Extended Passive Mode (|||${holder.localPort}|)`);
      if (verb === 'RETR') return p.reply('425 Failed to establish connection.');
      if (verb === 'TYPE') return p.reply('200 Switching to Binary mode.');
      p.reply('502 no');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    try {
      const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
      await expect(client.download('/f', sink)).rejects.toMatchObject({ name: 'FtpError', code: 425, text: 'Failed to establish connection.' });
      // The control connection is in step: the next command gets its own reply.
      await expect(client.send('NOOP')).rejects.toMatchObject({ code: 502, text: 'no' });
    } finally {
      await client.close();
      holder.destroy();
      holderServer.close();
    }
  });

  it('gives up on a server that never greets (ETIMEDOUT)', async () => {
    const peer = await scripted(() => {}, null);
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 300 });
    await expect(client.connect()).rejects.toMatchObject({ name: 'FtpTimeoutError', code: 'ETIMEDOUT' });
  });

  it('gives up on a command that gets no reply, and closes the connection', async () => {
    const peer = await scripted(basics([], () => {}));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 300 });
    await client.connect();
    await expect(client.pwd()).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(client.connected).toBe(false);
  });

  it('refuses a reply line over the cap (ERR_FTP_PROTOCOL)', async () => {
    const peer = await scripted(basics([], (_verb, _arg, p) => p.socket.write(`257 "${'x'.repeat(20_000)}`)));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    await client.connect();
    await expect(client.pwd()).rejects.toMatchObject({ code: 'ERR_FTP_PROTOCOL' });
    expect(client.connected).toBe(false);
  });

  it('falls back from EPSV to PASV once, and lists with MLSD when FEAT offers MLST', async () => {
    const peer = await scripted(basics(['MLST type*;size*;modify*;', 'UTF8'], (verb, _arg, p) => {
      if (verb === 'OPTS') return p.reply('200 UTF8 on');
      if (verb === 'EPSV') return p.reply('500 what?');
      if (verb === 'PASV') {
        void p.passive((data) => data.end(MLSD_TEXT)).then((port) => p.reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).`));
        return;
      }
      if (verb === 'MLSD') return replyTransfer(p);
      p.reply('502 no');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    const first = await client.list('/');
    expect(first).toEqual([
      { name: 'sub', type: 'directory', size: 0, modifiedAt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
      { name: 'a file.txt', type: 'file', size: 12, mode: 0o640, modifiedAt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
    ]);
    expect(await client.list('/')).toEqual(first);
    expect(peer.commands.filter((c) => c.startsWith('EPSV'))).toHaveLength(1);
    expect(peer.commands.filter((c) => c.startsWith('PASV'))).toHaveLength(2);
    expect(peer.commands).toContain('OPTS UTF8 ON');
    await client.close();
  });

  it('a refused RETR fails at once even when the data connection stays open', async () => {
    // vsftpd answers 550 without accepting the passive connection, which then waits in its backlog.
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb === 'EPSV') {
        void p.passive(() => {}).then((port) => p.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
        return;
      }
      if (verb === 'RETR') return p.reply('550 Failed to open file.');
      p.reply('502 no');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 30_000 });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    // Without the fix this waits for data that never comes: the test's own timeout fails it.
    await expect(client.download('/missing', sink)).rejects.toMatchObject({ name: 'FtpError', code: 550 });
    await client.close();
  });

  it('logs in again and repeats a command the server dropped without a reply', async () => {
    let dropped = false;
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb !== 'PWD') return p.reply('502 no');
      if (!dropped) {
        dropped = true;
        p.socket.destroy();
        return;
      }
      p.reply('257 "/again" is the current directory');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    let reconnects = 0;
    client.on('reconnect', () => reconnects++);
    expect(await client.pwd()).toBe('/again');
    expect(reconnects).toBe(1);
    expect(client.connections).toBe(2);
    expect(peer.connections).toBe(2);
    await client.close();
  });

  it('a 421 answer ends the session; the next operation logs in again', async () => {
    let answered = 0;
    const peer = await scripted(basics([], (verb, _arg, p) => {
      if (verb !== 'MKD') return p.reply('502 no');
      answered++;
      if (answered === 1) {
        p.reply('421 Timeout.');
        p.socket.end();
        return;
      }
      p.reply('257 "/d" created');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    expect(await client.mkdir('/d')).toBe('/d');
    expect(client.connections).toBe(2);
    await client.close();
  });

  it('sends MFMT and SITE CHMOD as servers expect them', async () => {
    const peer = await scripted(basics(['MFMT'], (verb, _arg, p) => {
      if (verb === 'MFMT') return p.reply('213 Modify=20240102030405; /a b');
      if (verb === 'SITE') return p.reply('200 SITE CHMOD command ok.');
      p.reply('502 no');
    }));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    await client.setLastModified('/a b', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 600)));
    await client.chmod('/a b', 0o100755);
    expect(client.features.has('MFMT')).toBe(true);
    expect(peer.commands.slice(-2)).toEqual(['MFMT 20240102030405 /a b', 'SITE CHMOD 755 /a b']);
    await client.close();
  });

  it('without reconnect, a 421 is an FtpError with code 421', async () => {
    const peer = await scripted(basics([], (_verb, _arg, p) => p.reply('421 Service not available')));
    const client = new FtpClient({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000, reconnect: false });
    await expect(client.pwd()).rejects.toMatchObject({ name: 'FtpError', code: 421 });
  });

  it('the transport serializes commands and hands 1xx replies to onPreliminary', async () => {
    const peer = await scripted((verb, _arg, p) => {
      if (verb === 'A') p.reply('150 starting\r\n226 done');
      else p.reply('200 ok');
    });
    const { transport } = await FtpTransport.connect({ host: '127.0.0.1', port: peer.port, timeoutMs: 5000 });
    const preliminary: number[] = [];
    const [a, b] = await Promise.all([
      transport.request('A', '', { onPreliminary: (r) => preliminary.push(r.code) }),
      transport.request('B'),
    ]);
    expect([a.code, b.code, preliminary]).toEqual([226, 200, [150]]);
    expect(peer.commands).toEqual(['A', 'B']);
    transport.close();
    await expect(transport.request('C')).rejects.toMatchObject({ code: 'ERR_FTP_CLOSED' });
  });
});
