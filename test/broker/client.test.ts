// BrokerClient: typed calls over a socketpair to an in-process server, or to
// a raw peer that misbehaves: pipelining, timeouts, calls in flight when the
// channel closes, malformed replies, and the hello.
import fs from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import {
  BrokerClient, BrokerError, BrokerServer, BrokerTimeoutError, Channel, ChannelClosedError, FdHandle,
  ProtocolError, defineProtocol, socketPair,
} from '../../src/index.js';
import { compileProtocol } from '../../src/broker/requests.js';
import { encodeHello } from '../../src/broker/hello.js';
import { openFdCount } from '../helpers/process.js';

const requests = {
  add: { id: 1, args: ['int', 'int'], reply: ['result', 'int'] },
  wait: { id: 2, args: ['int'], reply: ['result', 'int'] },
  hang: { id: 3, args: [], reply: ['result'] },
  dupFd: { id: 4, args: ['fd'], reply: ['result', 'fd'] },
  pair: { id: 5, args: [], reply: ['result', 'fd', 'buf'] },
} as const;
const protocol = defineProtocol({ name: 'client-test', version: 1, requests });

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function connected(options: { timeout?: number } = {}) {
  const [a, b] = Channel.pair();
  const server = new BrokerServer(b, protocol, {
    answerAdd: (x, y) => x + y,
    answerWait: (ms) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)),
    answerHang: () => new Promise<void>(() => {}),
    answerDupFd: (fd) => fd.dup(),
    answerPair() {
      const [x, y] = socketPair();
      y.close();
      return [x, 'one end'];
    },
  });
  const broker = await BrokerClient.connect(a, protocol, options);
  cleanup.push(() => broker.close());
  return { broker, server };
}

describe('calls', () => {
  test('pipelined calls resolve in order with their own replies', async () => {
    const { broker } = await connected();
    const calls = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? broker.wait(i % 3) : broker.add(i, 1000)));
    const results = await Promise.all(calls);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? i % 3 : i + 1000)));
  });

  test('an fd reply is an owned FdHandle; fd arguments stay with the caller', async () => {
    const { broker } = await connected();
    const before = openFdCount();
    const file = new FdHandle(fs.openSync('/proc/self/status', 'r'));
    const copy = await broker.dupFd(file);
    expect(copy).toBeInstanceOf(FdHandle);
    expect(copy.fd).not.toBe(file.fd);
    expect(copy.stat().ino).toBe(file.stat().ino);
    expect(file.closed).toBe(false);
    const [end, label] = await broker.pair();
    expect(end.kind()).toBe('socket');
    expect(label.toString()).toBe('one end');
    for (const fd of [file, copy, end]) fd.close();
    expect(openFdCount()).toBe(before);
  });

  test('call() takes per-call options; bad arguments reject and send nothing', async () => {
    const { broker } = await connected();
    expect(await broker.call('add', [1, 2])).toBe(3);
    await expect(broker.call('add', [1, 2.5] as never)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect((broker.add as (...a: unknown[]) => Promise<number>)(1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(broker.call('nope' as 'add', [1, 2])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(broker.dupFd(987654)).rejects.toMatchObject({ code: 'EBADF', syscall: 'sendmsg' });
    expect(broker.closed).toBe(false);
    expect(await broker.add(2, 2)).toBe(4);
  });
});

describe('failures', () => {
  test('a timeout rejects that call, closes the channel, and fails the calls behind it', async () => {
    const { broker, server } = await connected();
    const hung = broker.withTimeout(20).hang();
    const behind = broker.add(1, 1);
    await expect(hung).rejects.toBeInstanceOf(BrokerTimeoutError);
    await expect(hung).rejects.toMatchObject({ code: 'ERR_PRIVSEP_BROKER_TIMEOUT', request: 'hang', timeout: 20 });
    await expect(behind).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: 'broker request add: the channel closed before its reply came', cause: { code: 'ERR_PRIVSEP_BROKER_TIMEOUT' } });
    expect(broker.closed).toBe(true);
    await expect(broker.add(1, 1)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: 'cannot call add: the broker channel is closed' });
    expect(await server.done).toBe(null);
  });

  test('the default timeout comes from connect()', async () => {
    const { broker } = await connected({ timeout: 20 });
    await expect(broker.hang()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_BROKER_TIMEOUT', request: 'hang' });
  });

  test('closing rejects every call in flight with ChannelClosedError naming it', async () => {
    const { broker } = await connected();
    const calls = [broker.hang(), broker.add(1, 2)];
    broker.close();
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status === 'rejected' && s.reason)).toEqual([
      expect.objectContaining({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: expect.stringMatching(/^broker request hang:/) }),
      expect.objectContaining({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: expect.stringMatching(/^broker request add:/) }),
    ]);
    expect(settled.every((s) => s.status === 'rejected' && s.reason instanceof ChannelClosedError)).toBe(true);
  });

  test('a BAD answer rejects with BrokerError', async () => {
    const [a, b] = Channel.pair();
    cleanup.push(() => b.close());
    const server = new BrokerServer(b, protocol, {
      answerAdd() { throw Object.assign(new Error('x'), { code: 'EPERM' }); },
      answerWait: () => 0, answerHang() {}, answerDupFd: (fd) => fd, answerPair: () => [0, ''],
    });
    const broker = await BrokerClient.connect(a, protocol);
    const err = await broker.add(1, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toMatchObject({ code: 'EPERM', errno: -1, request: 'add', message: 'broker request add refused: EPERM: operation not permitted' });
    broker.close();
    await server.done;
  });
});

describe('a misbehaving server', () => {
  const compiled = compileProtocol(protocol);

  async function rawServer() {
    const [a, raw] = Channel.pair();
    cleanup.push(() => raw.close());
    await raw.send(encodeHello('server', compiled));
    const broker = await BrokerClient.connect(a, protocol);
    cleanup.push(() => broker.close());
    await raw.receive();
    return { broker, raw };
  }

  test('a malformed reply rejects the call with a ProtocolError and closes the channel, fds included', async () => {
    const { broker, raw } = await rawServer();
    const before = openFdCount();
    const call = broker.add(1, 2);
    await raw.receive();
    await raw.send(Buffer.from([0x52, 1, 0x42, 0, 0, 0, 0]), [fs.openSync('/dev/null', 'r')], { closeAfterSend: true });
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ message: 'reply to add: item 2: expected int, found buf' });
    expect(broker.closed).toBe(true);
    // The fd that came with the reply is closed, and so is the client's socket.
    expect(openFdCount()).toBe(before - 1);
  });

  test('an unsolicited message is a ProtocolError', async () => {
    const { broker, raw } = await rawServer();
    await raw.send(Buffer.from([0x52, 1]));
    await expect(raw.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    await expect(broker.add(1, 1)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', cause: { code: 'ERR_PRIVSEP_PROTOCOL', message: 'unsolicited message: no call is waiting for a reply' } });
  });

  test('a server that never says hello times out; one that hangs up fails at once', async () => {
    const [a, silent] = Channel.pair();
    cleanup.push(() => silent.close());
    await expect(BrokerClient.connect(a, protocol, { timeout: 20 })).rejects.toMatchObject({ code: 'ERR_PRIVSEP_BROKER_TIMEOUT', request: 'hello' });
    const [c, gone] = Channel.pair();
    gone.close();
    await expect(BrokerClient.connect(c, protocol)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: 'the broker channel closed before the hello' });
  });

  test('a mismatched hello fails both sides, saying what differs', async () => {
    const other = defineProtocol({ name: 'client-test', version: 1, requests: { ...requests, add: { id: 1, args: ['int'], reply: ['result', 'int'] } } });
    const [a, b] = Channel.pair();
    const server = new BrokerServer(b, other, {
      answerAdd: (x) => x, answerWait: (ms) => ms, answerHang() {}, answerDupFd: (fd) => fd, answerPair: () => [0, ''],
    });
    await expect(BrokerClient.connect(a, protocol)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringMatching(/^broker hello: the peer's request table for "client-test" version 1 differs from this side's/) });
    expect(await server.done).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringMatching(/request table .* differs/) });
  });
});

test('a hello that arrived before connect() is still found', async () => {
  const [a, b] = Channel.pair();
  const server = new BrokerServer(b, protocol, {
    answerAdd: (x, y) => x + y, answerWait: (ms) => ms, answerHang() {}, answerDupFd: (fd) => fd, answerPair: () => [0, ''],
  });
  // Let the server's hello reach the client channel's queue first.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const broker = await BrokerClient.connect(a, protocol);
  expect(await broker.add(20, 22)).toBe(42);
  broker.close();
  expect(await server.done).toBe(null);
});
