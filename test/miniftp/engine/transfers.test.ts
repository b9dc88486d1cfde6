// Uploads and downloads through the engine, checked byte for byte: both
// TYPEs, all four data connection commands, REST for RETR and STOR, APPE,
// STOU; with ftplib, curl and lftp; and the transfer log events.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { curl, ftplibSteps, lftp, sha256File } from '../../helpers/ftp-clients.js';
import { needTools } from '../../helpers/tools.js';

const sha = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const modes = ['pasv', 'epsv', 'port', 'eprt'] as const;

describe('engine transfers', () => {
  let h: Harness;
  let local: string;
  const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
  // Text with LF line ends, a lone CR, and a CRLF already in it.
  const text = Buffer.from('one\ntwo\r\nthree\rfour\n\nlast line without end');
  const textOnWire = Buffer.from('one\r\ntwo\r\r\nthree\rfour\r\n\r\nlast line without end');

  beforeAll(async () => {
    h = await startHarness();
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-client-'));
    fs.writeFileSync(h.file('alice', 'big.bin'), big);
    fs.writeFileSync(h.file('alice', 'text.txt'), text);
    fs.writeFileSync(path.join(local, 'big.bin'), big);
    fs.writeFileSync(path.join(local, 'wire.txt'), textOnWire);
  });
  afterAll(async () => {
    await h?.stop();
    fs.rmSync(local, { recursive: true, force: true });
  });

  it.each(modes)('binary RETR and STOR over %s, byte for byte', async (mode) => {
    const out = path.join(local, `down-${mode}.bin`);
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'retr', path: 'big.bin', mode, out },
        { op: 'stor', path: `up-${mode}.bin`, mode, src: path.join(local, 'big.bin') },
      ],
    });
    const [down, up] = results.slice(2);
    expect(down!.mark).toBe(`150 Opening BINARY mode data connection for big.bin (${big.length} bytes).`);
    expect(down!.reply).toBe('226 Transfer complete.');
    expect(down!.sha256).toBe(sha(big));
    expect(sha256File(out)).toBe(sha(big));
    expect(up!.mark).toBe('150 Ok to send data.');
    expect(up!.reply).toBe('226 Transfer complete.');
    expect(sha256File(h.file('alice', `up-${mode}.bin`))).toBe(sha(big));
    const logged = h.events.filter((e) => e.type === 'transfer' && e.path.endsWith(`up-${mode}.bin`));
    expect(logged).toMatchObject([{ direction: 'upload', bytes: big.length, result: 'ok', mode: 'binary', user: 'alice' }]);
  });

  it.each(['pasv', 'port'] as const)('ASCII mode converts line ends both ways over %s', async (mode) => {
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'retr', path: 'text.txt', mode, type: 'A' },
        { op: 'stor', path: `ascii-${mode}.txt`, mode, type: 'A', src: path.join(local, 'wire.txt') },
        { op: 'retr', path: 'big.bin', mode, type: 'A' },
      ],
    });
    const [down, up, bigAscii] = results.slice(2);
    expect(down!.mark).toMatch(/^150 Opening ASCII mode/);
    expect(down!.sha256).toBe(sha(textOnWire));
    expect(up!.reply).toBe('226 Transfer complete.');
    expect(fs.readFileSync(h.file('alice', `ascii-${mode}.txt`))).toEqual(Buffer.from('one\ntwo\r\nthree\rfour\n\nlast line without end'));
    const lf = big.filter((b) => b === 0x0a).length;
    expect(bigAscii!.bytes).toBe(big.length + lf);
  });

  it('REST resumes a download and an upload', async () => {
    const half = Math.floor(big.length / 2);
    fs.writeFileSync(path.join(local, 'first-half'), big.subarray(0, half));
    fs.writeFileSync(path.join(local, 'second-half'), big.subarray(half));
    fs.writeFileSync(h.file('alice', 'resume.bin'), Buffer.alloc(0));
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'retr', path: 'big.bin', rest: 1000 },
        { op: 'stor', path: 'resume.bin', src: path.join(local, 'first-half') },
        { op: 'stor', path: 'resume.bin', src: path.join(local, 'second-half'), rest: half },
        { op: 'retr', path: 'big.bin', rest: 10, type: 'A' },
      ],
    });
    const [tail, , resumed, asciiRest] = results.slice(2);
    expect(tail!.sha256).toBe(sha(big.subarray(1000)));
    expect(resumed!.reply).toBe('226 Transfer complete.');
    expect(sha256File(h.file('alice', 'resume.bin'))).toBe(sha(big));
    expect(asciiRest!.error).toBe('550 No support for resume of ASCII transfer.');
  });

  it('APPE appends and STOU picks unique names', async () => {
    fs.writeFileSync(h.file('alice', 'log.txt'), 'start:');
    fs.writeFileSync(path.join(local, 'piece'), 'piece');
    fs.writeFileSync(h.file('alice', 'report.1'), 'taken');
    const results = await ftplibSteps(h.port, {
      steps: [
        { op: 'stor', verb: 'APPE', path: 'log.txt', src: path.join(local, 'piece') },
        { op: 'stor', verb: 'APPE', path: 'fresh.txt', src: path.join(local, 'piece') },
        { op: 'stor', verb: 'STOU', path: 'report', src: path.join(local, 'piece') },
        { op: 'stor', verb: 'STOU', path: 'report', src: path.join(local, 'piece') },
      ],
    });
    const [appe, fresh, stou1, stou2] = results.slice(2);
    expect(appe!.reply).toBe('226 Transfer complete.');
    expect(fresh!.reply).toBe('226 Transfer complete.');
    expect(fs.readFileSync(h.file('alice', 'log.txt'), 'utf8')).toBe('start:piece');
    expect(fs.readFileSync(h.file('alice', 'fresh.txt'), 'utf8')).toBe('piece');
    expect(stou1!.mark).toBe('150 FILE: report.2');
    expect(stou2!.mark).toBe('150 FILE: report.3');
    expect(fs.readFileSync(h.file('alice', 'report.1'), 'utf8')).toBe('taken');
    expect(fs.readFileSync(h.file('alice', 'report.3'), 'utf8')).toBe('piece');
  });

  it('new files get 0666 & ~umask whatever the process umask', async () => {
    const results = await ftplibSteps(h.port, {
      steps: [{ op: 'cmd', line: 'SITE UMASK 002' }, { op: 'stor', path: 'shared.bin', src: path.join(local, 'piece') }],
    });
    expect(results.at(-1)!.reply).toBe('226 Transfer complete.');
    expect(fs.statSync(h.file('alice', 'shared.bin')).mode & 0o777).toBe(0o664);
  });

  it('curl: downloads and uploads over EPSV, PASV, EPRT and PORT, resume, ASCII', async (ctx) => {
    needTools(ctx, 'curl');
    const url = `ftp://alice:secret@127.0.0.1:${h.port}`;
    const variants: Array<[string, string[]]> = [
      ['epsv', []],
      ['pasv', ['--disable-epsv']],
      ['eprt', ['--ftp-port', '127.0.0.1']],
      ['port', ['--ftp-port', '127.0.0.1', '--disable-eprt']],
    ];
    for (const [name, flags] of variants) {
      const out = path.join(local, `curl-${name}.bin`);
      await curl([...flags, `${url}/big.bin`, '-o', out]);
      expect(sha256File(out), name).toBe(sha(big));
      await curl([...flags, '-T', path.join(local, 'big.bin'), `${url}/curl-up-${name}.bin`]);
      expect(sha256File(h.file('alice', `curl-up-${name}.bin`)), name).toBe(sha(big));
    }
    // Resume: a partial local copy is completed with REST.
    const partial = path.join(local, 'curl-partial.bin');
    fs.writeFileSync(partial, big.subarray(0, 123_457));
    await curl(['-C', '-', `${url}/big.bin`, '-o', partial]);
    expect(sha256File(partial)).toBe(sha(big));
    // Upload resume: curl asks SIZE, then APPE-style REST/STOR of the rest.
    fs.writeFileSync(h.file('alice', 'curl-resume.bin'), big.subarray(0, 99_999));
    await curl(['-C', '-', '-T', path.join(local, 'big.bin'), `${url}/curl-resume.bin`]);
    expect(sha256File(h.file('alice', 'curl-resume.bin'))).toBe(sha(big));
    // curl turns the CRLF the server sends back into LF: the text comes back as stored.
    fs.writeFileSync(h.file('alice', 'plain.txt'), 'first\nsecond\n');
    const { stdout } = await curl([`${url}/plain.txt;type=a`]);
    expect(stdout).toBe('first\nsecond\n');
    const listing = await curl(['--list-only', `${url}/`]);
    expect(listing.stdout.split(/\r?\n/)).toContain('big.bin');
  });

  it('lftp: mirror a tree up and back down, identical', async (ctx) => {
    needTools(ctx, 'lftp');
    const tree = path.join(local, 'tree');
    fs.mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'a.bin'), crypto.randomBytes(200_000));
    fs.writeFileSync(path.join(tree, 'sub', 'b.txt'), 'bee\n');
    fs.writeFileSync(path.join(tree, 'sub', 'deeper', 'c name with spaces'), crypto.randomBytes(5000));
    fs.writeFileSync(path.join(tree, 'sub', 'ünïcödé'), 'utf8 name');
    const back = path.join(local, 'tree-back');
    await lftp(h.port, 'alice', 'secret', [`mirror -R ${tree} /mirrored`, `mirror /mirrored ${back}`]);
    const files = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
    expect(files(back)).toEqual(files(tree));
    for (const name of files(tree)) {
      const file = path.join(tree, name);
      if (fs.statSync(file).isFile()) expect(sha256File(path.join(back, name)), name).toBe(sha256File(file));
    }
    const { stdout } = await lftp(h.port, 'alice', 'secret', ['cls -l /mirrored/sub']);
    expect(stdout).toMatch(/b\.txt/);
  });
});
