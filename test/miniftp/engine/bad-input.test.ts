// Hostile input gets a 5xx and nothing else: over-long lines, NUL bytes,
// invalid UTF-8, CR inside a line, paths that try to leave the root (`..`
// and symbolic links), reply forgery through file names, and data
// connections to or from anyone but the client (FTP bounce, PASV theft).
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { RawClient, ftplibSteps, rawLogin } from '../../helpers/ftp-clients.js';

describe('engine: bad input', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    fs.writeFileSync(h.file('alice', 'inside.txt'), 'inside');
    fs.mkdirSync(h.file('alice', 'sub'));
    fs.symlinkSync('/etc', h.file('alice', 'etc-link'));
    fs.symlinkSync('/etc/hostname', h.file('alice', 'hostname-link'));
    fs.symlinkSync('../bob', h.file('alice', 'neighbour'));
    fs.symlinkSync('/tmp/miniftp-engine-dangling-target', h.file('alice', 'dangling'));
    fs.symlinkSync('inside.txt', h.file('alice', 'good-link'));
    fs.symlinkSync('sub', h.file('alice', 'sub-link'));
    fs.writeFileSync(h.file('bob', 'secret.txt'), 'bob only');
    fs.writeFileSync(h.file('alice', 'evil\r\n213 forged'), 'x');
  });
  afterAll(async () => {
    await h?.stop();
    fs.rmSync('/tmp/miniftp-engine-dangling-target', { force: true });
  });

  it('over-long lines, NUL, invalid UTF-8, CR inside, bad verbs: 500, and the session goes on', async () => {
    const client = await rawLogin(h.port);
    client.send(`NOOP ${'x'.repeat(5000)}\r\n`);
    client.send(Buffer.concat([Buffer.from('CWD a'), Buffer.from([0]), Buffer.from('b\r\n')]));
    client.send(Buffer.concat([Buffer.from('CWD '), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n')]));
    client.send('CWD a\rb\r\n');
    client.send('N0OP\r\n');
    client.send(`${'A'.repeat(300)}\r\n`);
    // A megabyte without a line end: one reply, bounded memory.
    client.send(Buffer.alloc(1 << 20, 0x41));
    client.send('\r\n');
    const replies = await client.replies(7);
    expect(replies.map((r) => `${r.code} ${r.text}`)).toEqual([
      '500 Command line too long.',
      '500 NUL byte in command line.',
      '500 Command line is not valid UTF-8.',
      '500 CR inside a command line.',
      '500 Unknown command.',
      '500 Unknown command.',
      '500 Command line too long.',
    ]);
    expect(await client.command('PWD')).toMatchObject({ code: 257 });
    client.destroy();
  });

  it('bad input before login gets the same treatment', async () => {
    const client = await RawClient.connect(h.port);
    await client.replies(1);
    client.send(Buffer.from([0x41, 0x00, 0xc3, 0x0d, 0x0a]));
    client.send(`USER ${'u'.repeat(8000)}\r\n`);
    const replies = await client.replies(2);
    expect(replies.map((r) => r.code)).toEqual([500, 500]);
    expect((await client.command('USER alice')).code).toBe(331);
    client.destroy();
  });

  it('`..` never leaves the root', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'cmd', line: 'CWD ../../../..' },
        { op: 'cmd', line: 'PWD' },
        { op: 'cmd', line: 'SIZE ../bob/secret.txt' },
        { op: 'cmd', line: 'SIZE ../../../../etc/hostname' },
        { op: 'retr', path: '../../../../../../etc/passwd' },
        { op: 'cmd', line: 'MKD ../escaped' },
        { op: 'list', verb: 'NLST', arg: '../..' },
      ],
    });
    const [cwd, pwd, bob, hostname, passwd, mkd, nlst] = results.slice(2);
    expect(cwd!.reply).toBe('250 Directory successfully changed.');
    expect(pwd!.reply).toBe('257 "/" is the current directory');
    expect(bob!.error).toBe('550 Could not get file size.');
    expect(hostname!.error).toBe('550 Could not get file size.');
    expect(passwd!.error).toBe('550 Failed to open file.');
    expect(mkd!.reply).toBe('257 "/escaped" created');
    expect(fs.existsSync(h.file('alice', 'escaped'))).toBe(true);
    expect(nlst!.text).toContain('inside.txt');
  });

  it('symbolic links are followed only inside the root', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'cmd', line: 'CWD etc-link' },
        { op: 'retr', path: 'etc-link/passwd' },
        { op: 'retr', path: 'hostname-link' },
        { op: 'cmd', line: 'SIZE neighbour/secret.txt' },
        { op: 'list', verb: 'NLST', arg: 'etc-link' },
        { op: 'stor', path: 'dangling', src: h.file('alice', 'inside.txt') },
        { op: 'stor', path: 'hostname-link', src: h.file('alice', 'inside.txt') },
        { op: 'cmd', line: 'SITE CHMOD 777 hostname-link' },
        { op: 'retr', path: 'good-link' },
        { op: 'cmd', line: 'CWD sub-link' },
        { op: 'cmd', line: 'PWD' },
        { op: 'cmd', line: 'DELE /good-link' },
      ],
    });
    const [cwd, passwd, hostname, neighbour, nlst, dangling, overwrite, chmod, good, cwdSub, pwd, dele] = results.slice(2);
    expect(cwd!.error).toBe('550 Failed to change directory.');
    expect(passwd!.error).toBe('550 Failed to open file.');
    expect(hostname!.error).toBe('550 Failed to open file.');
    expect(neighbour!.error).toBe('550 Could not get file size.');
    expect(nlst!.text).toBe('');
    expect(dangling!.error).toBe('553 Could not create file.');
    expect(fs.existsSync('/tmp/miniftp-engine-dangling-target')).toBe(false);
    expect(overwrite!.error).toBe('553 Could not create file.');
    expect(chmod!.error).toBe('550 SITE CHMOD command failed.');
    expect(good!.bytes).toBe(6);
    expect(cwdSub!.reply).toBe('250 Directory successfully changed.');
    // The physical directory, as getcwd would give it.
    expect(pwd!.reply).toBe('257 "/sub" is the current directory');
    expect(dele!.reply).toBe('250 Delete operation successful.');
    expect(fs.existsSync(h.file('alice', 'inside.txt'))).toBe(true);
  });

  it('a file name with CR LF cannot forge a reply', async () => {
    const client = await rawLogin(h.port);
    const stat = await client.command('STAT .');
    expect(stat.code).toBe(213);
    expect(stat.lines.at(-1)).toBe('End of status');
    expect(stat.lines).toContain(' 213 forged');
    expect((await client.command('NOOP')).code).toBe(200);
    client.destroy();
  });

  it('PORT and EPRT only to the client itself and never below port 1024 (no FTP bounce)', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'cmd', line: 'PORT 10,0,0,1,200,10' },
        { op: 'cmd', line: 'PORT 127,0,0,1,0,21' },
        { op: 'cmd', line: 'EPRT |1|192.168.1.1|5000|' },
        { op: 'cmd', line: 'EPRT |1|127.0.0.1|25|' },
        { op: 'cmd', line: 'EPRT |2|::1|5000|' },
        { op: 'cmd', line: 'PORT 127,0,0,1,300,1' },
        { op: 'cmd', line: 'PORT 127,0,0,2,200,10' },
        { op: 'cmd', line: 'RETR inside.txt' },
      ],
    });
    expect(results.slice(2).map((r) => r.error ?? r.reply)).toEqual([
      '500 Illegal PORT command.', '500 Illegal PORT command.', '500 Illegal EPRT command.', '500 Illegal EPRT command.',
      '500 Illegal EPRT command.', '500 Illegal PORT command.', '500 Illegal PORT command.', '425 Use PORT or PASV first.',
    ]);
  });

  it('a passive data connection from another address is refused (no PASV theft)', async () => {
    const client = await rawLogin(h.port);
    const reply = await client.command('PASV');
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text)!;
    const thief = net.connect({ port: Number(m[5]) * 256 + Number(m[6]), host: '127.0.0.1', localAddress: '127.0.0.2' });
    thief.on('error', () => {});
    await new Promise<void>((resolve) => thief.once('connect', resolve));
    expect(await client.command('RETR inside.txt')).toMatchObject({ code: 425 });
    thief.destroy();
    client.destroy();
  });
});

describe('engine: bad input with port_promiscuous', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ options: { portPromiscuous: true } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('accepts any PORT target', async () => {
    const results = await ftplibSteps(h.port, { steps: [{ op: 'cmd', line: 'PORT 10,0,0,1,0,21' }] });
    expect(results[2]!.reply).toBe('200 PORT command successful. Consider using PASV.');
  });
});
