// BrokerSocket: the five verbs over a real socketpair, each kind round
// trip, and the ProtocolError (with the channel and stray fds closed) when
// the peer sends something other than what is awaited.
import fs from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { BrokerSocket, Channel, FdHandle, socketPair } from '../../src/index.js';
import { openFdCount } from '../helpers/process.js';

let open: BrokerSocket[] = [];
function pair(maxBufBytes?: number): [BrokerSocket, BrokerSocket] {
  const [a, b] = socketPair();
  const sockets: [BrokerSocket, BrokerSocket] = [new BrokerSocket(a, { maxBufBytes }), new BrokerSocket(b, { maxBufBytes })];
  open.push(...sockets);
  return sockets;
}

afterEach(() => {
  for (const s of open) s.close();
  open = [];
});

describe('BrokerSocket verbs', () => {
  test('cmd, result, int and buf round trip', async () => {
    const [a, b] = pair();
    await a.sendCmd(0);
    await a.sendCmd(255);
    await a.sendResult(true);
    await a.sendResult(false, 'EACCES');
    await a.sendResult(false, 'ERR_SOMETHING');
    await a.sendInt(-0x80000000);
    await a.sendInt(0x7fffffff);
    await a.sendBuf('héllo');
    await a.sendBuf(new Uint8Array(0));
    expect(await b.recvCmd()).toBe(0);
    expect(await b.recvCmd()).toBe(255);
    expect(await b.recvResult()).toEqual({ ok: true });
    expect(await b.recvResult()).toEqual({ ok: false, code: 'EACCES', errno: -13 });
    expect(await b.recvResult()).toEqual({ ok: false, code: 'ERR_SOMETHING', errno: 0 });
    expect(await b.recvInt()).toBe(-0x80000000);
    expect(await b.recvInt()).toBe(0x7fffffff);
    expect((await b.recvBuf()).toString()).toBe('héllo');
    expect((await b.recvBuf()).length).toBe(0);
  });

  test('an fd arrives as an owned FdHandle on the same open file', async () => {
    const [a, b] = pair();
    const file = new FdHandle(fs.openSync('/proc/self/status', 'r'));
    await a.sendFd(file, { closeAfterSend: true });
    expect(file.closed).toBe(true);
    const received = await b.recvFd();
    expect(received.kind()).toBe('file');
    const chunk = Buffer.alloc(5);
    await received.read(chunk, 0);
    expect(chunk.toString()).toBe('Name:');
    received.close();
  });

  test('a buf at the limit passes; one over it is refused before sending', async () => {
    const [a, b] = pair(8);
    await a.sendBuf(Buffer.alloc(8, 1));
    expect(await b.recvBuf()).toEqual(Buffer.alloc(8, 1));
    await expect(a.sendBuf(Buffer.alloc(9))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(a.sendInt(2 ** 31)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(a.sendCmd(256)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(a.sendResult(false, 'not a code')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(a.sendFd(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(a.closed).toBe(false);
  });
});

describe('BrokerSocket on a misbehaving peer', () => {
  test('a wrong kind is a ProtocolError naming it, and closes the channel', async () => {
    const [a, b] = pair();
    await a.sendBuf('x');
    await expect(b.recvInt()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: 'recvInt: item 1: expected int, found buf' });
    expect(b.closed).toBe(true);
    await expect(b.recvInt()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
  });

  test('a buf over the receiver limit is refused from its header', async () => {
    const [raw, peer] = Channel.pair();
    const receiver = new BrokerSocket(peer, { maxBufBytes: 4 });
    open.push(receiver);
    await raw.send(Buffer.from([0x42, 5, 0, 0, 0, 1, 2, 3, 4, 5]));
    await expect(receiver.recvBuf()).rejects.toMatchObject({ message: 'recvBuf: item 1: buf of 5 bytes is over the limit of 4' });
    raw.close();
  });

  test('an extra fd, or a missing one, is a ProtocolError and no fd leaks', async () => {
    const before = openFdCount();
    for (const [payload, fdCount, verb, message] of [
      [[0x49, 1, 0, 0, 0], 1, 'recvInt', 'recvInt: 1 extra fd: the message carries 1, its items use 0'],
      [[0x46], 2, 'recvFd', 'recvFd: 1 extra fd: the message carries 2, its items use 1'],
      [[0x46], 0, 'recvFd', 'recvFd: item 1: missing fd: the message carries only 0 fds'],
      [[0x46, 0x46], 2, 'recvFd', 'recvFd: item 2: 1 bytes left over after the last expected item'],
    ] as const) {
      const [raw, peer] = Channel.pair();
      const receiver = new BrokerSocket(peer);
      const fds = Array.from({ length: fdCount }, () => fs.openSync('/dev/null', 'r'));
      await raw.send(Buffer.from(payload), fds, { closeAfterSend: true });
      const recv = verb === 'recvInt' ? receiver.recvInt() : receiver.recvFd();
      await expect(recv).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message });
      expect(receiver.closed).toBe(true);
      raw.close();
    }
    expect(openFdCount()).toBe(before);
  });

  test('a peer that hangs up rejects the waiting receive with ChannelClosedError', async () => {
    const [a, b] = pair();
    const waiting = b.recvCmd();
    a.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
  });
});
