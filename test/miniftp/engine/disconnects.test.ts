// Abrupt disconnects (TCP reset of the control or the data connection)
// during login, downloads, uploads and listings: the session answers what
// it still can, logs a failed transfer, and leaves no fd, timer or session
// behind (the harness runs in this process: /proc/self/fd tells).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { RawClient, passiveData, rawLogin } from '../../helpers/ftp-clients.js';
import { openFdCount, waitFor } from '../../helpers/process.js';

function firstData(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('data', () => resolve()));
}

describe('engine: abrupt disconnects', () => {
  let h: Harness;
  let baseline = 0;

  beforeAll(async () => {
    h = await startHarness({ options: { downloadMaxRate: 512 * 1024 } });
    fs.writeFileSync(h.file('alice', 'big.bin'), crypto.randomBytes(4 * 1024 * 1024));
    fs.mkdirSync(h.file('alice', 'many'));
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(h.file('alice', `many/file-${String(i).padStart(5, '0')}`), '');
    // One full session first, so that lazily opened fds are part of the baseline.
    const warm = await rawLogin(h.port);
    await warm.command('QUIT');
    await h.settled();
    baseline = openFdCount();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const noLeak = async (): Promise<void> => {
    await h.settled();
    await waitFor(() => openFdCount() <= baseline, 10_000, `the fd count to return to ${baseline}`);
  };

  it('reset during the login and right after connecting', async () => {
    for (let i = 0; i < 20; i++) {
      const client = await RawClient.connect(h.port);
      if (i % 2 === 0) client.send('USER alice\r\nPASS secret\r\nPWD\r\n');
      else client.send('USER alice\r\n');
      client.socket.resetAndDestroy();
    }
    await noLeak();
  });

  it('reset of the control connection during a download', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    client.send('RETR big.bin\r\n');
    await firstData(data);
    client.socket.resetAndDestroy();
    await h.settled();
    data.destroy();
    await noLeak();
    expect(h.events.filter((e) => e.type === 'transfer' && e.path === '/big.bin').at(-1)).toMatchObject({ result: 'failed' });
  });

  it('reset of the data connection during a download: 426, and the session goes on', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    client.send('RETR big.bin\r\n');
    await firstData(data);
    data.resetAndDestroy();
    const [, failed] = await client.replies(2);
    expect(failed).toMatchObject({ code: 426, text: 'Failure writing network stream.' });
    expect((await client.command('NOOP')).code).toBe(200);
    client.socket.resetAndDestroy();
    await noLeak();
  });

  it('reset of the data connection during an upload: 426, logged as failed', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    client.send('STOR cut.bin\r\n');
    await client.replies(1);
    data.write(crypto.randomBytes(300_000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    data.resetAndDestroy();
    const [failed] = await client.replies(1);
    expect(failed).toMatchObject({ code: 426, text: 'Failure reading network stream.' });
    expect(h.events.filter((e) => e.type === 'transfer' && e.path === '/cut.bin')).toMatchObject([{ result: 'failed', direction: 'upload' }]);
    client.destroy();
    await noLeak();
  });

  it('reset of both connections in the middle of a 10,000-file listing', async () => {
    for (const verb of ['LIST', 'NLST', 'MLSD']) {
      const client = await rawLogin(h.port);
      const data = await passiveData(client);
      client.send(`${verb} many\r\n`);
      await firstData(data);
      data.resetAndDestroy();
      client.socket.resetAndDestroy();
    }
    await noLeak();
  });

  it('a client that stops reading replies does not make the server buffer without bound', async () => {
    const client = await rawLogin(h.port);
    client.socket.pause();
    // Thousands of HELP replies nobody reads: the server stops reading commands instead.
    const flood = 'HELP\r\n'.repeat(20_000);
    client.socket.write(flood);
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.socket.resetAndDestroy();
    await noLeak();
  });
});
