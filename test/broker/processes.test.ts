// The typed broker between two real processes: this process is the client,
// test/fixtures/broker-server.mjs the server on the other end of a
// socketpair. Every request shape round-trips, fds both ways; then peer
// death, a handler that throws, phases, a timeout and a mismatched hello.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { BrokerClient, BrokerError, FdHandle, defineProtocol, socketPair, type Broker } from '../../src/index.js';
import { fixture, killAll, openFdCount, startNode, type RunningChild } from '../helpers/process.js';
import { testRequests } from '../fixtures/broker-table.mjs';

const protocol = defineProtocol({ name: 'privsep-test', version: 1, requests: testRequests });
type TestBroker = Broker<typeof testRequests>;

interface Started {
  broker: TestBroker;
  child: RunningChild;
  /** How the server ended, from its last line of output. */
  ended: () => Promise<{ reason: { code: string; message: string } | null; fdsAtStart: number; fds: number }>;
}

const brokers: TestBroker[] = [];
const children: RunningChild[] = [];

async function startServer(version = 1, timeout?: number): Promise<Started> {
  const [mine, theirs] = socketPair();
  const child = startNode(fixture('broker-server.mjs'), [String(version)], [theirs.fd]);
  children.push(child);
  theirs.close();
  const broker = await BrokerClient.connect(mine, protocol, { timeout });
  brokers.push(broker);
  const ended = async () => {
    await child.exited;
    const line = child.stdout().trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) throw new Error(`the server printed no result; stderr: ${child.stderr()}`);
    return JSON.parse(line) as Awaited<ReturnType<Started['ended']>>;
  };
  return { broker, child, ended };
}

// Each server exits once its channel closes; waiting for that keeps the fd counts exact.
afterEach(async () => {
  for (const broker of brokers.splice(0)) broker.close();
  await Promise.all(children.splice(0).map((c) => c.exited));
});
afterAll(() => killAll());

async function readAll(socket: net.Socket): Promise<string> {
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  return text;
}

describe('every request shape between two processes', () => {
  test('no arguments: no value, an int', async () => {
    const { broker, child, ended } = await startServer();
    expect(await broker.ping()).toBeUndefined();
    expect(await broker.getPid()).toBe(child.child.pid);
    broker.close();
    expect((await ended()).reason).toBe(null);
  });

  test('ints in and out, across the whole signed 32-bit range', async () => {
    const { broker } = await startServer();
    expect(await broker.add(2, 3)).toBe(5);
    expect(await broker.add(-0x80000000, -1)).toBe(0x7fffffff);
    expect(await broker.add(0x7fffffff, 0)).toBe(0x7fffffff);
  });

  test('bufs in and out: empty, text, binary, at the 64 KiB limit', async () => {
    const { broker } = await startServer();
    expect(await broker.reverse('')).toEqual(Buffer.alloc(0));
    expect((await broker.reverse('stressed')).toString()).toBe('desserts');
    const big = Buffer.alloc(64 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    expect(await broker.reverse(big)).toEqual(Buffer.from(big).reverse());
    await expect(broker.reverse(Buffer.alloc(64 * 1024 + 1))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  test('an fd in, an fd out: the same open file, now owned here', async () => {
    const { broker } = await startServer();
    const path = `/tmp/privsep-broker-${process.pid}.txt`;
    fs.writeFileSync(path, 'contents behind the fd');
    try {
      const file = new FdHandle(fs.openSync(path, 'r'));
      const back = await broker.echoFd(file);
      expect(back.fd).not.toBe(file.fd);
      expect(back.stat().ino).toBe(file.stat().ino);
      const buffer = Buffer.alloc(8);
      await back.read(buffer, 0);
      expect(buffer.toString()).toBe('contents');
      const [ino, kind] = await broker.describeFd(file);
      expect([ino, kind.toString()]).toEqual([file.stat().ino, 'file']);
      back.close();
      file.close();
    } finally {
      fs.rmSync(path, { force: true });
    }
  });

  test('two fds out: a connected socket pair made by the server', async () => {
    const { broker } = await startServer();
    const [a, b] = await broker.openPair();
    const [x, y] = [a.toSocket(), b.toSocket()];
    const read = readAll(y);
    x.end('across the pair');
    expect(await read).toBe('across the pair');
    y.destroy();
  });

  test('int, buf and fd in; int, buf and fd out', async () => {
    const { broker } = await startServer();
    const [mine, theirs] = socketPair();
    const [n, buf, fd] = await broker.mixed(21, 'ab', theirs);
    expect([n, buf.toString()]).toEqual([42, 'abab']);
    theirs.close();
    const socket = fd.toSocket();
    const read = readAll(mine.toSocket());
    socket.end('through the dup');
    expect(await read).toBe('through the dup');
  });

  test('a handler may take an argument fd and keep using it', async () => {
    const { broker } = await startServer();
    const [mine, theirs] = socketPair();
    const reading = readAll(mine.toSocket());
    await broker.takeFd(theirs);
    theirs.close();
    expect(await reading).toBe('taken by the server');
  });

  test('many calls in flight at once come back in order', async () => {
    const { broker } = await startServer();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => broker.add(i, i)));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => 2 * i));
  });

  test('no fd is left behind on either side', async () => {
    const before = openFdCount();
    const { broker, ended } = await startServer();
    for (let i = 0; i < 20; i++) {
      const [a, b] = await broker.openPair();
      a.close();
      b.close();
      const [mine, theirs] = socketPair();
      const [, , fd] = await broker.mixed(i, 'x', theirs);
      for (const f of [fd, mine, theirs]) f.close();
    }
    broker.close();
    const { reason, fds, fdsAtStart } = await ended();
    expect(reason).toBe(null);
    // Of the 60 fds that passed through the server, none is left; its channel is closed too.
    expect(fds).toBe(fdsAtStart - 1);
    expect(openFdCount()).toBe(before);
  });
});

describe('failures between two processes', () => {
  test('a handler that throws answers BAD with its code; the server keeps serving', async () => {
    const { broker } = await startServer();
    await expect(broker.fail('EACCES')).rejects.toMatchObject({ code: 'EACCES', errno: -13, request: 'fail' });
    await expect(broker.fail('ERR_CUSTOM')).rejects.toMatchObject({ code: 'ERR_CUSTOM', errno: undefined });
    const plain = await broker.fail('plain').catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(BrokerError);
    expect(plain).toMatchObject({ code: 'ERR_PRIVSEP_HANDLER_FAILED' });
    expect((plain as Error).message).not.toMatch(/no code here/);
    expect(await broker.add(1, 1)).toBe(2);
  });

  test('a peer that dies fails every call in flight', async () => {
    const { broker, child } = await startServer();
    const calls = [broker.sleep(60_000), broker.add(1, 2), broker.ping()];
    child.child.kill('SIGKILL');
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status === 'rejected' && s.reason)).toEqual([
      expect.objectContaining({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: 'broker request sleep: the channel closed before its reply came' }),
      expect.objectContaining({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: 'broker request add: the channel closed before its reply came' }),
      expect.objectContaining({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED', message: 'broker request ping: the channel closed before its reply came' }),
    ]);
    expect(broker.closed).toBe(true);
  });

  test('a peer that exits while answering fails the call', async () => {
    const { broker, child } = await startServer();
    await expect(broker.exit(3)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect((await child.exited).code).toBe(3);
  });

  test('a timed-out call closes the channel; the server sees the hang-up at once', async () => {
    const { broker, ended } = await startServer();
    await expect(broker.withTimeout(50).sleep(60_000)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_BROKER_TIMEOUT', request: 'sleep' });
    await expect(broker.ping()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect((await ended()).reason).toBe(null);
  });

  test('phases: a postlogin request before login is refused and ends the channel', async () => {
    const { broker, ended } = await startServer();
    await expect(broker.secret()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect((await ended()).reason).toEqual({
      code: 'ERR_PRIVSEP_UNPERMITTED_REQUEST', message: 'request secret (id 14) is not permitted in phase prelogin; it needs postlogin',
    });
  });

  test('phases: a good login moves the server to postlogin, where login is no longer permitted', async () => {
    const { broker, ended } = await startServer();
    await broker.login('alice');
    expect((await broker.secret()).toString()).toBe('the postlogin secret');
    await expect(broker.login('alice')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect((await ended()).reason).toMatchObject({ code: 'ERR_PRIVSEP_UNPERMITTED_REQUEST', message: 'request login (id 13) is not permitted in phase postlogin; it needs prelogin' });
  });

  test('once: a failed login uses up the only attempt', async () => {
    const { broker, ended } = await startServer();
    await expect(broker.login('mallory')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(broker.login('alice')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect((await ended()).reason).toEqual({ code: 'ERR_PRIVSEP_UNPERMITTED_REQUEST', message: 'request login (id 13) may be made only once' });
  });

  test('a server of another protocol version fails the hello on both sides', async () => {
    const [mine, theirs] = socketPair();
    const child = startNode(fixture('broker-server.mjs'), ['2'], [theirs.fd]);
    children.push(child);
    theirs.close();
    await expect(BrokerClient.connect(mine, protocol)).rejects.toMatchObject({
      code: 'ERR_PRIVSEP_PROTOCOL', message: 'broker hello: the peer speaks protocol "privsep-test" version 2, this side "privsep-test" version 1',
    });
    await child.exited;
    expect(JSON.parse(child.stdout().trim()).reason).toEqual({
      code: 'ERR_PRIVSEP_PROTOCOL', message: 'broker hello: the peer speaks protocol "privsep-test" version 1, this side "privsep-test" version 2',
    });
  });
});
