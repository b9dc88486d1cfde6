// The session's limits: the idle timeout (421, never during a transfer),
// the data connection timeout, accept and connect failures (425),
// max_login_fails, commands before login, and the rate limit holding a
// transfer back (seen by its counted waits, not by timing).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { RawClient, ftplibSteps, passiveData, rawLogin } from '../../helpers/ftp-clients.js';
import { waitFor } from '../../helpers/process.js';

describe('engine limits', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      options: { idleSessionTimeout: 1, dataConnectionTimeout: 1, acceptTimeout: 1, connectTimeout: 2, downloadMaxRate: 200 * 1024, uploadMaxRate: 200 * 1024 },
    });
    // At 200 KiB/s this takes more than the 1 s idle timeout, however fast the machine.
    fs.writeFileSync(h.file('alice', 'slow.bin'), crypto.randomBytes(400 * 1024));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an idle session gets 421 and is closed', async () => {
    const client = await rawLogin(h.port);
    const [reply] = await client.replies(1, 10_000);
    expect(reply).toMatchObject({ code: 421, text: 'Timeout.' });
    await client.closedByServer();
    expect(h.events.some((e) => e.type === 'end' && e.reason === 'idle timeout')).toBe(true);
  });

  it('a client that sends commands but never reads the replies is idle too', async () => {
    const client = await rawLogin(h.port);
    const before = h.events.filter((e) => e.type === 'end' && e.reason === 'idle timeout').length;
    client.socket.pause();
    client.socket.write('HELP\r\n'.repeat(50_000));
    await waitFor(() => h.events.filter((e) => e.type === 'end' && e.reason === 'idle timeout').length > before, 20_000, 'the idle timeout');
    client.destroy();
  });

  it('the idle timeout never fires while a transfer runs longer than it', async () => {
    const results = await ftplibSteps(h.port, { steps: [{ op: 'retr', path: 'slow.bin' }, { op: 'cmd', line: 'NOOP' }] });
    const [download, noop] = results.slice(2);
    expect(download!.reply).toBe('226 Transfer complete.');
    expect(download!.bytes).toBe(400 * 1024);
    expect(noop!.reply).toBe('200 NOOP ok.');
  });

  it('the rate limit holds transfers back: its waits are counted', async () => {
    fs.writeFileSync(h.file('alice', 'up-src.bin'), crypto.randomBytes(300 * 1024));
    const results = await ftplibSteps(h.port, {
      steps: [{ op: 'retr', path: 'slow.bin' }, { op: 'stor', path: 'up.bin', src: h.file('alice', 'up-src.bin') }],
    });
    expect(results.slice(2).map((r) => r.reply ?? r.error)).toEqual(['226 Transfer complete.', '226 Transfer complete.']);
    const logged = h.events.filter((e) => e.type === 'transfer' && (e.path === '/slow.bin' || e.path === '/up.bin'));
    for (const event of logged) {
      expect(event).toMatchObject({ result: 'ok' });
      expect(event.type === 'transfer' && event.throttleWaits).toBeGreaterThan(0);
    }
    expect(logged.map((e) => e.type === 'transfer' && e.direction)).toContain('upload');
  });

  it('a transfer without progress fails with 426 after data_connection_timeout; the session goes on', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    client.send('STOR stalled.bin\r\n');
    const [mark, failed] = await client.replies(2, 10_000);
    expect(mark!.code).toBe(150);
    expect(failed).toMatchObject({ code: 426, text: 'Data connection timed out.' });
    expect((await client.command('NOOP')).code).toBe(200);
    expect(h.events.filter((e) => e.type === 'transfer' && e.path === '/stalled.bin')).toMatchObject([{ result: 'failed' }]);
    data.destroy();
    client.destroy();
  });

  it('425 when the client never connects (accept_timeout) or refuses the active connection', async () => {
    const client = await rawLogin(h.port);
    expect((await client.command('PASV')).code).toBe(227);
    expect(await client.command('RETR slow.bin')).toMatchObject({ code: 425, text: 'Failed to establish connection.' });
    // A port nobody listens on: connection refused. The local end of an open
    // connection holds it, so no other test's listener can take it meanwhile.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const holder = net.connect((probe.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => holder.once('connect', resolve));
    const port = holder.localPort!;
    try {
      expect((await client.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).code).toBe(200);
      expect(await client.command('RETR slow.bin')).toMatchObject({ code: 425 });
      expect((await client.command('NOOP')).code).toBe(200);
    } finally {
      holder.destroy();
      probe.close();
      client.destroy();
    }
  });

  it('max_login_fails closes the connection after the third failure', async () => {
    const client = await RawClient.connect(h.port);
    await client.replies(1);
    client.send('USER alice\r\nPASS a\r\nUSER alice\r\nPASS b\r\nUSER alice\r\nPASS c\r\nUSER alice\r\n');
    const replies = await client.replies(7);
    expect(replies.map((r) => r.code)).toEqual([331, 530, 331, 530, 331, 530]);
    await client.closedByServer();
    expect(h.events.filter((e) => e.type === 'login' && !e.ok && e.user === 'alice').length).toBeGreaterThanOrEqual(3);
  });

  it('every command but the pre-login ones gets 530 before login; unknown ones 500', async () => {
    const client = await RawClient.connect(h.port);
    await client.replies(1);
    const verbs = ['PWD', 'CWD /', 'LIST', 'RETR x', 'STOR x', 'PASV', 'PORT 1,2,3,4,5,6', 'DELE x', 'MKD x', 'SITE HELP', 'STAT', 'PBSZ 0', 'TYPE I', 'MLSD', 'ABOR'];
    for (const verb of verbs) expect(await client.command(verb), verb).toMatchObject({ code: 530, text: 'Please login with USER and PASS.' });
    expect((await client.command('BOGUS')).code).toBe(500);
    expect((await client.command('SYST')).code).toBe(215);
    expect((await client.command('FEAT')).code).toBe(211);
    expect((await client.command('HELP')).code).toBe(214);
    expect((await client.command('OPTS UTF8 ON')).code).toBe(200);
    expect((await client.command('NOOP')).code).toBe(200);
    expect((await client.command('AUTH TLS')).code).toBe(502);
    expect((await client.command('QUIT')).code).toBe(221);
    await client.closedByServer();
  });
});
