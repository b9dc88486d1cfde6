// sendFile: zero-copy file -> socket over a real TCP connection.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Acceptor, sendFile } from '../../src/index.js';
import { native } from '../../src/native.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-sendfile-'));
const file = path.join(tmp, 'data');
const content = crypto.randomBytes(8 * 1024 * 1024 + 123);
fs.writeFileSync(file, content);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A TCP connection whose server end is a raw fd (no net.Socket owns it). */
async function rawConnection(): Promise<{ fd: number; client: net.Socket; received: Promise<Buffer> }> {
  const acceptor = new Acceptor([{ host: '127.0.0.1', port: 0 }]);
  const accepted = new Promise<number>((resolve) => acceptor.once('connections', (batch) => resolve(batch[0]!.fd)));
  const client = net.connect(acceptor.sockets[0]!.port, '127.0.0.1');
  const received = new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    client.on('data', (d) => chunks.push(d));
    client.on('end', () => resolve(Buffer.concat(chunks)));
    client.on('close', () => resolve(Buffer.concat(chunks)));
    client.on('error', () => {});
  });
  const fd = await accepted;
  acceptor.close();
  return { fd, client, received };
}

describe('sendFile', () => {
  it('sends a whole file byte for byte', async () => {
    const { fd, received } = await rawConnection();
    const fileFd = fs.openSync(file, 'r');
    const progress: number[] = [];
    const sent = await sendFile(fd, fileFd, { onProgress: (n) => progress.push(n) });
    native.close(fd);
    fs.closeSync(fileFd);
    expect(sent).toBe(content.length);
    expect((await received).equals(content)).toBe(true);
    expect(progress.at(-1)).toBe(content.length);
  });

  it('sends a range, asking the pacer before each chunk', async () => {
    const { fd, received } = await rawConnection();
    const fileFd = fs.openSync(file, 'r');
    const asked: number[] = [];
    const sent = await sendFile(fd, fileFd, { start: 1000, length: 300_000, pace: (n) => { asked.push(n); return 65536; } });
    native.close(fd);
    fs.closeSync(fileFd);
    expect(sent).toBe(300_000);
    expect((await received).equals(content.subarray(1000, 301_000))).toBe(true);
    expect(asked.length).toBeGreaterThanOrEqual(5);
  });

  it('stops at an abort', async () => {
    const { fd, client } = await rawConnection();
    client.pause();
    const fileFd = fs.openSync(file, 'r');
    const controller = new AbortController();
    const sending = sendFile(fd, fileFd, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
    native.close(fd);
    fs.closeSync(fileFd);
    client.destroy();
  });

  it('fails with EPIPE or ECONNRESET when the peer is gone', async () => {
    const { fd, client } = await rawConnection();
    client.destroy();
    await new Promise((r) => setTimeout(r, 20));
    const fileFd = fs.openSync(file, 'r');
    await expect(sendFile(fd, fileFd)).rejects.toMatchObject({ code: expect.stringMatching(/^(EPIPE|ECONNRESET)$/), syscall: 'sendfile' });
    native.close(fd);
    fs.closeSync(fileFd);
  });
});
