// BrokerServer against a raw peer on a socketpair: policy from the table
// (unknown id, phase, once), handlers that throw or return nonsense, fd
// ownership, and how the server ends.
import fs from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { BrokerServer, Channel, FdHandle, UnpermittedRequestError, defineProtocol, socketPair, type Message } from '../../src/index.js';
import { compileProtocol } from '../../src/broker/requests.js';
import { encodeHello } from '../../src/broker/hello.js';
import { encodeRequest, decodeReply } from '../../src/broker/messages.js';
import { openFdCount } from '../helpers/process.js';

const protocol = defineProtocol({
  name: 'server-test', version: 1, requests: {
    add: { id: 1, args: ['int', 'int'], reply: ['result', 'int'] },
    open: { id: 2, args: [], reply: ['result', 'fd'] },
    inspect: { id: 3, args: ['fd'], reply: ['result', 'int'] },
    keep: { id: 4, args: ['fd'], reply: ['result'] },
    login: { id: 5, args: ['buf'], reply: ['result'], phase: 'prelogin', once: true },
    secret: { id: 6, args: [], reply: ['result', 'buf'], phase: ['postlogin'] },
    whoami: { id: 7, args: [], reply: ['result', 'int', 'buf'] },
  },
});
const compiled = compileProtocol(protocol);
const kept: FdHandle[] = [];

type Handlers = ConstructorParameters<typeof BrokerServer<typeof protocol.requests>>[2];
const handlers: Handlers = {
  answerAdd(a, b) {
    if (a < 0) throw Object.assign(new Error('negative'), { code: 'EINVAL' });
    if (b < 0) throw new Error('no code at all');
    return a + b;
  },
  answerOpen: () => new FdHandle(fs.openSync('/dev/null', 'r')),
  answerInspect: (fd) => fd.stat().ino,
  answerKeep(fd) {
    kept.push(new FdHandle(fd.release()));
  },
  answerLogin(user, { server }) {
    if (user.toString() !== 'alice') throw Object.assign(new Error('no'), { code: 'EACCES' });
    server.setPhase('postlogin');
  },
  answerSecret: () => 'gold',
  answerWhoami: (ctx) => [ctx.server.peerCredentials().pid, ctx.request],
};

let channels: Channel[] = [];
afterEach(() => {
  for (const c of channels) c.close();
  channels = [];
  for (const fd of kept.splice(0)) fd.close();
});

/** A server on one end of a pair; the raw peer on the other end has sent its hello. */
async function start(options: { phase?: 'prelogin' | 'postlogin'; maxBufBytes?: number } = {}, h: Handlers = handlers) {
  const [raw, end] = Channel.pair();
  channels.push(raw);
  const server = new BrokerServer(end, protocol, h, options);
  await raw.send(encodeHello('client', compiled));
  await raw.receive();
  const request = async (name: keyof typeof protocol.requests, args: unknown[], fds: number[] = []): Promise<Message> => {
    const { data } = encodeRequest(compiled.byName.get(name)!, args.length ? args : [], 1 << 16);
    await raw.send(data, fds);
    return raw.receive();
  };
  const reply = (name: keyof typeof protocol.requests, message: Message) => decodeReply(compiled.byName.get(name)!, message, 1 << 16);
  return { raw, server, request, reply };
}

describe('answers', () => {
  test('a handler that throws answers BAD with its code, and the server goes on', async () => {
    const { server, request, reply } = await start();
    const failures: [unknown, string][] = [];
    server.on('handlerError', (err, name) => failures.push([err, name]));
    expect(reply('add', await request('add', [2, 3]))).toEqual({ ok: true, value: 5 });
    expect(reply('add', await request('add', [-1, 3]))).toEqual({ ok: false, code: 'EINVAL', errno: -22 });
    expect(reply('add', await request('add', [1, -3]))).toEqual({ ok: false, code: 'ERR_PRIVSEP_HANDLER_FAILED', errno: 0 });
    expect(reply('add', await request('add', [0x7fffffff, 1]))).toEqual({ ok: false, code: 'ERR_OUT_OF_RANGE', errno: 0 });
    expect(reply('add', await request('add', [4, 4]))).toEqual({ ok: true, value: 8 });
    expect(failures.map(([err, name]) => [(err as Error).message, name])).toEqual([
      ['negative', 'add'], ['no code at all', 'add'], [expect.stringMatching(/add reply value 1/), 'add'],
    ]);
    expect(server.closed).toBe(false);
  });

  test('handlers get a context: the request name and the server', async () => {
    const { request, reply } = await start();
    expect(reply('whoami', await request('whoami', []))).toEqual({ ok: true, value: [process.pid, Buffer.from('whoami')] });
  });

  test('returned fds and untaken argument fds are closed; taken ones are not', async () => {
    const { request, reply } = await start();
    const before = openFdCount();
    const opened = reply('open', await request('open', []));
    expect(opened.ok && (opened.value as FdHandle).kind()).toBe('character-device');
    if (opened.ok) (opened.value as FdHandle).close();
    const file = fs.openSync('/proc/self/status', 'r');
    expect(reply('inspect', await request('inspect', [file], [file]))).toEqual({ ok: true, value: fs.fstatSync(file).ino });
    expect(reply('keep', await request('keep', [file], [file]))).toEqual({ ok: true, value: undefined });
    fs.closeSync(file);
    expect(kept).toHaveLength(1);
    expect(openFdCount()).toBe(before + 1);
  });
});

describe('policy from the table', () => {
  test('a request outside its phase closes the channel, naming it', async () => {
    const { raw, server } = await start({ phase: 'prelogin' });
    await raw.send(encodeRequest(compiled.byName.get('secret')!, [], 16).data);
    const reason = await server.done;
    expect(reason).toBeInstanceOf(UnpermittedRequestError);
    expect(reason).toMatchObject({ code: 'ERR_PRIVSEP_UNPERMITTED_REQUEST', message: 'request secret (id 6) is not permitted in phase prelogin; it needs postlogin' });
    await expect(raw.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
  });

  test('a handler moves the phase; a once request is refused the second time', async () => {
    const { server, request, reply } = await start({ phase: 'prelogin' });
    expect(reply('login', await request('login', ['alice']))).toEqual({ ok: true, value: undefined });
    expect(server.phase).toBe('postlogin');
    expect(reply('secret', await request('secret', []))).toEqual({ ok: true, value: Buffer.from('gold') });
    server.setPhase('prelogin');
    await expect(request('login', ['alice'])).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect(await server.done).toMatchObject({ code: 'ERR_PRIVSEP_UNPERMITTED_REQUEST', message: 'request login (id 5) may be made only once' });
  });

  test('with no phase set, phase-bound requests are refused', async () => {
    const { raw, server } = await start();
    await raw.send(encodeRequest(compiled.byName.get('login')!, ['alice'], 16).data);
    expect(await server.done).toMatchObject({ message: 'request login (id 5) is not permitted in phase (none); it needs prelogin' });
  });

  test('a bad request closes the channel and the fds that came with it', async () => {
    const before = openFdCount();
    const { raw, server } = await start();
    const errors: Error[] = [];
    server.on('error', (err) => errors.push(err));
    const fds = [fs.openSync('/dev/null', 'r'), fs.openSync('/dev/null', 'r')];
    await raw.send(Buffer.from([0x43, 99, 0x46, 0x46]), fds, { closeAfterSend: true });
    const reason = await server.done;
    expect(reason).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: 'request: unknown request id 99: the server-test table declares no such request' });
    expect(errors).toEqual([reason]);
    raw.close();
    expect(openFdCount()).toBe(before);
  });

  test('a buf over the configured limit is a ProtocolError', async () => {
    const { raw, server } = await start({ maxBufBytes: 4 });
    await raw.send(Buffer.from([0x43, 5, 0x42, 5, 0, 0, 0, 1, 2, 3, 4, 5]));
    expect(await server.done).toMatchObject({ message: 'request login: item 2: buf of 5 bytes is over the limit of 4' });
  });
});

describe('lifecycle', () => {
  test('a clean hang-up between requests ends with null', async () => {
    const { raw, server } = await start();
    const closes: (Error | null)[] = [];
    server.on('close', (reason) => closes.push(reason));
    raw.close();
    expect(await server.done).toBe(null);
    expect(closes).toEqual([null]);
  });

  test('a peer that hangs up before its hello is a ProtocolError', async () => {
    const [raw, end] = Channel.pair();
    const server = new BrokerServer(end, protocol, handlers);
    raw.close();
    expect(await server.done).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: 'the peer closed the channel before its hello' });
  });

  test('closing the server itself ends it with null, even before the hello', async () => {
    const [raw, end] = Channel.pair();
    channels.push(raw);
    const server = new BrokerServer(end, protocol, handlers);
    server.close();
    expect(await server.done).toBe(null);
  });

  test('a listener that throws ends the channel, not the process', async () => {
    const { server, request } = await start();
    server.on('handlerError', () => {
      throw new Error('a broken logger');
    });
    await expect(request('add', [-1, 0])).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect(await server.done).toMatchObject({ message: 'a broken logger' });
  });

  test('a half-sent message is a ProtocolError', async () => {
    const [a, b] = socketPair();
    const server = new BrokerServer(b, protocol, handlers);
    const socket = a.toSocket();
    socket.end(Buffer.from([30, 0, 0, 0, 0, 0, 0, 0, 0x49]));
    expect(await server.done).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringMatching(/in the middle of a message/) });
    socket.destroy();
  });

  test('the handler table must match the request table', () => {
    const [a, b] = Channel.pair();
    channels.push(a, b);
    const { answerAdd: _, ...missing } = handlers;
    expect(() => new BrokerServer(b, protocol, missing as Handlers)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/handlers.answerAdd/) }));
    expect(() => new BrokerServer(b, protocol, { ...handlers, answerNothing() {} } as Handlers)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/answerNothing/) }));
  });
});
