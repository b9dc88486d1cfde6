// receiveFile: zero-copy socket -> file over a real TCP connection.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpListener, receiveFile } from '../../src/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-receivefile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A TCP connection whose receiving end is a raw fd; `client` sends. */
async function rawConnection(): Promise<{ fd: number; client: net.Socket }> {
  const listener = new TcpListener({ host: '127.0.0.1', port: 0 });
  const accepting = listener.accept({ timeoutMs: 5000 });
  const client = net.connect(listener.port, '127.0.0.1');
  client.on('error', () => {});
  const { fd } = await accepting;
  listener.close();
  return { fd: fd.release(), client };
}

describe('receiveFile', () => {
  it('writes everything the peer sends until it closes, at the given offset', async () => {
    const data = crypto.randomBytes(6 * 1024 * 1024 + 5);
    const { fd, client } = await rawConnection();
    const file = path.join(tmp, 'upload');
    fs.writeFileSync(file, 'HEAD');
    const out = fs.openSync(file, 'r+');
    const progress: number[] = [];
    const receiving = receiveFile(fd, out, { start: 4, onProgress: (n) => progress.push(n) });
    client.end(data);
    expect(await receiving).toBe(data.length);
    fs.closeSync(out);
    fs.closeSync(fd);
    expect(fs.readFileSync(file).equals(Buffer.concat([Buffer.from('HEAD'), data]))).toBe(true);
    expect(progress.at(-1)).toBe(data.length);
  });

  it('asks the pacer before each chunk and stops at an abort', async () => {
    const { fd, client } = await rawConnection();
    const out = fs.openSync(path.join(tmp, 'paced'), 'w');
    const controller = new AbortController();
    let asked = 0;
    const receiving = receiveFile(fd, out, { signal: controller.signal, pace: () => { asked++; return 1000; } });
    client.write(Buffer.alloc(5000));
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(receiving).rejects.toMatchObject({ name: 'AbortError' });
    expect(asked).toBeGreaterThanOrEqual(5);
    fs.closeSync(out);
    fs.closeSync(fd);
    client.destroy();
  });

  it('refuses a file open for appending, with EINVAL from splice', async () => {
    const { fd, client } = await rawConnection();
    const out = fs.openSync(path.join(tmp, 'append'), 'a');
    client.end('x');
    await expect(receiveFile(fd, out)).rejects.toMatchObject({ code: 'EINVAL', syscall: 'splice' });
    fs.closeSync(out);
    fs.closeSync(fd);
  });
});
