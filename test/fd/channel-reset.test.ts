// A peer that closes while this side's messages sit unread resets the
// socket (POLLERR, which libuv reports as EBADF): the messages it sent
// before still arrive, and the close reason is the socket's ECONNRESET.
import { expect, test } from 'vitest';
import { Channel } from '../../src/index.js';

test('a reset by the peer delivers what came before it and reports ECONNRESET', async () => {
  const [a, b] = Channel.pair();
  const errors: Error[] = [];
  b.on('error', (err) => errors.push(err));
  await b.send('unread by a');
  await a.send('sent before the reset');
  a.close();
  expect((await b.receive()).data.toString()).toBe('sent before the reset');
  await expect(b.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', cause: { code: 'ECONNRESET', syscall: 'recvmsg' } });
  expect(errors).toMatchObject([{ code: 'ECONNRESET' }]);
});
