// Raw sendmsg/recvmsg for peers without the Channel framing.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { receiveRaw, sendRaw, socketPair } from '../../src/index.js';

describe('sendRaw / receiveRaw', () => {
  it('move bytes and fds in one sendmsg and one recvmsg', async () => {
    const [a, b] = socketPair();
    const file = fs.openSync('/etc/hostname', 'r');
    const receiving = receiveRaw(b);
    expect(await sendRaw(a, Buffer.from('\0'), [file])).toBe(1);
    const message = await receiving;
    expect(message.data).toEqual(Buffer.from([0]));
    expect(fs.readFileSync(message.fds[0]!.fd, 'utf8')).toBe(fs.readFileSync('/etc/hostname', 'utf8'));
    message.fds[0]!.close();
    fs.closeSync(file);
    a.close();
    expect(await receiveRaw(b)).toEqual({ data: Buffer.alloc(0), fds: [] });
    b.close();
  });

  it('time out and abort cleanly', async () => {
    const [a, b] = socketPair();
    await expect(receiveRaw(b, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const controller = new AbortController();
    const waiting = receiveRaw(b, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await sendRaw(a, Buffer.from('still usable'));
    expect((await receiveRaw(b)).data.toString()).toBe('still usable');
    a.close();
    b.close();
  });
});
