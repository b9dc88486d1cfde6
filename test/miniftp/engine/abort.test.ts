// ABOR during transfers (ftplib's urgent ABOR, the Telnet IP/Synch
// sequence, a plain ABOR; downloads and uploads), commands that arrive
// during a transfer (NOOP, STAT and QUIT at once, the rest in line), and the
// session going on afterwards.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { ftplibSteps, passiveData, rawLogin } from '../../helpers/ftp-clients.js';

describe('engine ABOR and commands during a transfer', () => {
  let h: Harness;
  let local: string;

  beforeAll(async () => {
    // The rate limit keeps each download running long enough to be interrupted.
    h = await startHarness({ options: { downloadMaxRate: 256 * 1024, uploadMaxRate: 256 * 1024 } });
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-client-'));
    fs.writeFileSync(h.file('alice', 'big.bin'), crypto.randomBytes(8 * 1024 * 1024));
    fs.writeFileSync(h.file('alice', 'small.bin'), crypto.randomBytes(300 * 1024));
  });
  afterAll(async () => {
    await h?.stop();
    fs.rmSync(local, { recursive: true, force: true });
  });

  it.each([
    ['ftplib', 'pasv'],
    ['ftplib', 'port'],
    ['telnet', 'epsv'],
    ['plain', 'eprt'],
  ] as const)('ABOR (%s) stops a download over %s: 426, then 226, and the session goes on', async (style, mode) => {
    const results = await ftplibSteps(h.port, {
      steps: [{ op: 'abort', path: 'big.bin', mode, style, read: 1 }, { op: 'cmd', line: 'NOOP' }, { op: 'retr', path: 'small.bin', mode }],
    });
    const [aborted, noop, again] = results.slice(2);
    expect(aborted!.mark).toMatch(/^150 /);
    expect(aborted!.abort).toBe('426 Transfer aborted.');
    expect(aborted!.after).toBe('226 ABOR successful.');
    expect(noop!.reply).toBe('200 NOOP ok.');
    expect(again!.reply).toBe('226 Transfer complete.');
    expect(again!.bytes).toBe(300 * 1024);
  });

  it('ABOR stops an upload, which is logged as aborted, never as complete', async () => {
    const results = await ftplibSteps(h.port, { steps: [{ op: 'abort_stor', path: 'partial.bin', send: 100_000 }, { op: 'cmd', line: 'PWD' }] });
    const [aborted, pwd] = results.slice(2);
    expect(aborted!.abort).toBe('426 Transfer aborted.');
    expect(aborted!.after).toBe('226 ABOR successful.');
    expect(pwd!.reply).toBe('257 "/" is the current directory');
    const logged = h.events.filter((e) => e.type === 'transfer' && e.path === '/partial.bin');
    expect(logged).toMatchObject([{ direction: 'upload', result: 'aborted' }]);
  });

  it('during a transfer NOOP and STAT answer at once, ABOR stops it, and a queued PWD comes after', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    client.send('RETR big.bin\r\n');
    const [mark] = await client.replies(1);
    expect(mark!.code).toBe(150);
    client.send('PWD\r\nNOOP\r\nSTAT\r\nABOR\r\n');
    const replies = await client.replies(5);
    expect(replies.map((r) => r.code)).toEqual([200, 213, 426, 226, 257]);
    expect(replies[1]!.text).toMatch(/^Status: download of \/big\.bin, \d+ bytes so far\.$/);
    expect(replies[4]!.text).toBe('"/" is the current directory');
    data.destroy();
    client.destroy();
  });

  it('QUIT during a transfer lets it finish, then 221', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    let received = 0;
    data.on('data', (chunk: Buffer) => (received += chunk.length));
    client.send('RETR small.bin\r\n');
    await client.replies(1);
    client.send('QUIT\r\nPWD\r\n');
    const replies = await client.replies(3);
    expect(replies.map((r) => r.code)).toEqual([226, 221]);
    await client.closedByServer();
    expect(received).toBe(300 * 1024);
  });
});
