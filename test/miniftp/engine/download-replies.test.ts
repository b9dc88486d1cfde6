// A binary download's 150 may travel with its 226 when the file goes out
// at once, but never after the server has to wait for the client: a client
// that reads the data only once it has the 150 still gets a file larger than
// every socket buffer. A passive connection taken ends the listening, so a
// transfer needs no pasvClose; a PASV nobody used is still closed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { passiveData, rawLogin, type RawClient } from '../../helpers/ftp-clients.js';
import { DataChannel } from '../../../examples/miniftp/session/data-channel.js';
import { LocalDataConnector, type DataConnector } from '../../../examples/miniftp/session/index.js';

function readAll(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
}

function connectTo(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('engine: download replies', () => {
  let h: Harness;
  // Well beyond the send and receive buffers of a loopback connection.
  const big = crypto.randomBytes(24 * 1024 * 1024);
  const small = crypto.randomBytes(1024);

  // RETR small.bin: its 150, then 226, and every byte on the data connection `received` reads.
  async function retrSmall(client: RawClient, received: Promise<Buffer>, mark: object = { code: 150 }): Promise<void> {
    client.send('RETR small.bin\r\n');
    const [opened, done] = await client.replies(2);
    expect(opened).toMatchObject(mark);
    expect(done).toMatchObject({ code: 226, text: 'Transfer complete.' });
    expect((await received).equals(small)).toBe(true);
  }

  beforeAll(async () => {
    h = await startHarness();
    fs.writeFileSync(h.file('alice', 'big.bin'), big);
    fs.writeFileSync(h.file('alice', 'small.bin'), small);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a client that reads the data only after the 150 gets a file larger than the socket buffers', async () => {
    const client = await rawLogin(h.port);
    expect((await client.command('TYPE I')).code).toBe(200);
    const data = await passiveData(client);
    data.pause();
    client.send('RETR big.bin\r\n');
    // Without the 150 before the first wait, this would wait for the data connection timeout.
    const [mark] = await client.replies(1, 20_000);
    expect(mark).toMatchObject({ code: 150, text: `Opening BINARY mode data connection for big.bin (${big.length} bytes).` });
    const received = readAll(data);
    data.resume();
    expect((await received).equals(big)).toBe(true);
    expect((await client.replies(1, 20_000))[0]).toMatchObject({ code: 226, text: 'Transfer complete.' });
    client.destroy();
  });

  it('a small download: 150, the bytes, 226, many times over on one session', async () => {
    const client = await rawLogin(h.port);
    expect((await client.command('TYPE I')).code).toBe(200);
    for (let i = 0; i < 20; i++) {
      const data = await passiveData(client);
      const received = readAll(data);
      await retrSmall(client, received, { code: 150, text: 'Opening BINARY mode data connection for small.bin (1024 bytes).' });
    }
    client.destroy();
  });

  it('a RETR whose file cannot be opened leaves the connection already made to the next transfer', async () => {
    const client = await rawLogin(h.port);
    expect((await client.command('TYPE I')).code).toBe(200);
    const data = await passiveData(client);
    const received = readAll(data);
    expect(await client.command('RETR missing.bin')).toMatchObject({ code: 550, text: 'Failed to open file.' });
    await retrSmall(client, received);
    client.destroy();
  });

  it('after a failed RETR with no connection yet, a new PASV gets the next transfer and the old port is closed', async () => {
    const client = await rawLogin(h.port);
    expect((await client.command('TYPE I')).code).toBe(200);
    const first = await client.command('PASV');
    const [, hi, lo] = /(\d+),(\d+)\)/.exec(first.text)!;
    const oldPort = Number(hi) * 256 + Number(lo);
    expect(await client.command('RETR missing.bin')).toMatchObject({ code: 550 });
    const data = await passiveData(client);
    await expect(connectTo(oldPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const received = readAll(data);
    await retrSmall(client, received);
    client.destroy();
  });
});

describe('DataChannel and the passive listener', () => {
  // The real connector, with its pasvClose calls counted.
  function counted(): { connector: DataConnector; closes: () => number } {
    const real = new LocalDataConnector('127.0.0.1', '127.0.0.1', { pasvPromiscuous: false, portPromiscuous: false, acceptTimeout: 10, connectTimeout: 10 });
    let closes = 0;
    const connector: DataConnector = {
      pasvListen: () => real.pasvListen(),
      pasvAccept: (signal) => real.pasvAccept(signal),
      portConnect: (address, port, signal) => real.portConnect(address, port, signal),
      pasvClose: () => {
        closes++;
        return real.pasvClose();
      },
    };
    return { connector, closes: () => closes };
  }

  it('a connection taken closes the listener: no pasvClose after the transfer, and the port refuses a second connection', async () => {
    const { connector, closes } = counted();
    const channel = new DataChannel(connector);
    const port = await channel.passive();
    const peer = await connectTo(port);
    const connection = await channel.open(new AbortController().signal);
    await channel.release();
    expect(closes()).toBe(0);
    await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    connection.destroy();
    peer.destroy();
  });

  it('a PASV that took no connection is closed on release, and a second PASV replaces the first', async () => {
    const { connector, closes } = counted();
    const channel = new DataChannel(connector);
    const first = await channel.passive();
    const second = await channel.passive();
    await expect(connectTo(first)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await channel.release();
    expect(closes()).toBe(1);
    await expect(connectTo(second)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a refused passive connection leaves the release to close the listener', async () => {
    const { connector, closes } = counted();
    const channel = new DataChannel(connector);
    await channel.passive();
    const aborted = new AbortController();
    aborted.abort();
    await expect(channel.open(aborted.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await channel.release();
    expect(closes()).toBe(1);
  });
});
