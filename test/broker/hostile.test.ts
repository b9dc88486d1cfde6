// A hostile peer: fast-check feeds random and mutated byte streams, and
// random fds, to a BrokerServer (and random replies to a BrokerClient). The
// process never crashes, no fd leaks (/proc/self/fd is counted), and every
// run ends either with only valid requests answered or with a ProtocolError.
// Then the extremes, one by one: headers at 2^32-1, fds past 253, every limit
// at and one over, slow, stalled and non-reading peers, slow handlers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { BrokerClient, BrokerError, BrokerServer, Channel, FdHandle, defineProtocol, socketPair, type Message } from '../../src/index.js';
import { compileProtocol } from '../../src/broker/requests.js';
import { encodeHello } from '../../src/broker/hello.js';
import { decodeReply, encodeReply, encodeRequest, maxMessageBytes } from '../../src/broker/messages.js';
import { HEADER_BYTES, encodeHeader } from '../../src/fd/frame-reader.js';
import { native } from '../../src/native.js';
import { fixture, killAll, openFdCount, startNode, waitFor } from '../helpers/process.js';
import { testRequests } from '../fixtures/broker-table.mjs';

const MAX_BUF = 64;
const requests = {
  noop: { id: 0, args: [], reply: ['result'] },
  num: { id: 1, args: ['int'], reply: ['result', 'int'] },
  text: { id: 2, args: ['buf', 'int'], reply: ['result', 'buf'] },
  pass: { id: 3, args: ['fd'], reply: ['result', 'fd'] },
  two: { id: 200, args: ['fd', 'buf', 'fd'], reply: ['result', 'int', 'buf'] },
  gated: { id: 7, args: [], reply: ['result'], phase: 'later' },
  single: { id: 8, args: ['int'], reply: ['result'], once: true },
} as const;
type Name = keyof typeof requests;
const protocol = defineProtocol({ name: 'hostile', version: 1, requests });
const compiled = compileProtocol(protocol);
const NAMES = Object.keys(requests) as Name[];
const ENDINGS = ['ERR_PRIVSEP_PROTOCOL', 'ERR_PRIVSEP_UNPERMITTED_REQUEST'];

/** A server whose handlers record what they were given and check it has the table's kinds. */
function startServer(fd: FdHandle | Channel) {
  const handled: string[] = [];
  const wrong: string[] = [];
  const isInt = (v: unknown) => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff;
  const isBuf = (v: unknown) => Buffer.isBuffer(v) && v.length <= MAX_BUF;
  const isFd = (v: unknown) => v instanceof FdHandle && !v.closed;
  const check = (name: string, ok: boolean) => {
    handled.push(name);
    if (!ok) wrong.push(name);
  };
  const server = new BrokerServer(fd, protocol, {
    answerNoop: (...rest) => check('noop', rest.length === 1),
    answerNum(n) {
      check('num', isInt(n));
      if (n < 0) throw Object.assign(new Error('negative'), { code: 'EINVAL' });
      return n;
    },
    answerText(b, n) {
      check('text', isBuf(b) && isInt(n));
      return b;
    },
    answerPass(f) {
      check('pass', isFd(f));
      return f;
    },
    answerTwo(a, b, c) {
      check('two', isFd(a) && isBuf(b) && isFd(c));
      return [b.length, b];
    },
    answerGated: () => check('gated', false),
    answerSingle: (n) => check('single', isInt(n)),
  }, { maxBufBytes: MAX_BUF });
  return { server, handled, wrong };
}

const openFd = (): number => fs.openSync('/dev/null', 'r');

// ---- Arbitraries --------------------------------------------------------

const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const buf = fc.uint8Array({ maxLength: MAX_BUF });
const request = fc.constantFrom(...NAMES).chain((name) => {
  const args = compiled.byName.get(name)!.args.map((kind) => (kind === 'int' ? int32 : kind === 'buf' ? buf : fc.constant('fd')));
  return fc.tuple(fc.constant(name), fc.tuple(...args));
});
const mutation = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extraFds' as const), count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropFd' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 80 }), fds: fc.nat(3) }) },
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

interface Step {
  data: Buffer;
  fdCount: number;
  /** Whether the server must accept it: well formed, unmutated, and permitted. */
  good: boolean;
}

function toStep(name: Name, args: unknown[], m: Mutation, singleUsed: { value: boolean }): Step {
  const spec = compiled.byName.get(name)!;
  const fdCount = spec.args.filter((k) => k === 'fd').length;
  const { data } = encodeRequest(spec, args.map((a) => (a === 'fd' ? 0 : a)), MAX_BUF);
  let permitted = name !== 'gated';
  if (name === 'single') {
    permitted = !singleUsed.value;
    singleUsed.value = true;
  }
  switch (m.kind) {
    case 'none': return { data, fdCount, good: permitted };
    case 'flip': {
      const copy = Buffer.from(data);
      if (copy.length > 0) copy[m.at % copy.length] = m.byte;
      return { data: copy, fdCount, good: false };
    }
    case 'truncate': return { data: data.subarray(0, m.at % (data.length + 1)), fdCount, good: false };
    case 'append': return { data: Buffer.concat([data, m.bytes]), fdCount, good: false };
    case 'extraFds': return { data, fdCount: fdCount + m.count, good: false };
    case 'dropFd': return { data, fdCount: Math.max(0, fdCount - 1), good: false };
    case 'random': return { data: Buffer.from(m.bytes), fdCount: m.fds, good: false };
  }
}

// ---- Properties ---------------------------------------------------------

describe('a hostile peer against BrokerServer', () => {
  test('random byte streams, with or without a valid hello first', async () => {
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 300 }), async (withHello, bytes) => {
      const before = openFdCount();
      const [mine, theirs] = socketPair();
      const { server, wrong } = startServer(theirs);
      const socket = mine.toSocket();
      socket.on('error', () => {});
      socket.resume();
      const hello = encodeHello('client', compiled);
      socket.end(withHello ? Buffer.concat([encodeHeader(hello.length, 0), hello, bytes]) : bytes);
      const reason = await server.done;
      socket.destroy();
      await new Promise((resolve) => setImmediate(resolve));
      expect(wrong).toEqual([]);
      if (!withHello) expect(reason).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL' });
      else if (reason !== null) expect(ENDINGS).toContain((reason as Error & { code: string }).code);
      expect(openFdCount()).toBe(before);
    }), { numRuns: 150 });
  });

  test('valid and mutated request messages with random fds', async () => {
    const steps = fc.array(fc.tuple(request, mutation), { maxLength: 12 });
    await fc.assert(fc.asyncProperty(steps, async (plan) => {
      const before = openFdCount();
      const [writer, end] = Channel.pair();
      const { server, handled, wrong } = startServer(end);
      let replies = 0;
      let allReplied!: () => void;
      const replied = new Promise<void>((resolve) => (allReplied = resolve));
      const used = { value: false };
      const messages = plan.map(([[name, args], m]) => toStep(name, args, m, used));
      let helloSeen = false;
      writer.on('message', (message: Message) => {
        for (const fd of message.fds) fd.close();
        if (!helloSeen) helloSeen = true;
        else if (++replies === messages.length) allReplied();
      });
      if (messages.length === 0) allReplied();
      await writer.send(encodeHello('client', compiled));
      for (const step of messages) {
        const fds = Array.from({ length: step.fdCount }, openFd);
        await writer.send(step.data, fds).catch(() => {});
        for (const fd of fds) fs.closeSync(fd);
      }
      await Promise.race([server.done, replied]);
      writer.close();
      const reason = await server.done;

      expect(wrong).toEqual([]);
      const goodPrefix = messages.findIndex((s) => !s.good);
      expect(handled.length).toBeGreaterThanOrEqual(goodPrefix < 0 ? messages.length : goodPrefix);
      if (reason === null) {
        expect(handled.length).toBe(messages.length);
      } else {
        expect(ENDINGS).toContain((reason as Error & { code: string }).code);
        expect(handled.length).toBeLessThan(messages.length);
      }
      expect(openFdCount()).toBe(before);
    }), { numRuns: 200 });
  });

  test('random Channel frames: random headers and fd counts straight after the hello', async () => {
    const frame = fc.record({ length: fc.nat(200), fds: fc.nat(4), body: fc.uint8Array({ maxLength: 200 }) });
    await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
      const before = openFdCount();
      const [mine, theirs] = socketPair();
      const { server, wrong } = startServer(theirs);
      const hello = encodeHello('client', compiled);
      const raw = Channel.fromFd(mine);
      raw.on('message', (m: Message) => m.fds.forEach((fd) => fd.close()));
      await raw.send(hello);
      for (const f of frames) {
        // A header that may lie about its length and fd count, sent with some fds.
        const fds = Array.from({ length: Math.min(f.fds, 3) }, openFd);
        const bytes = Buffer.concat([encodeHeader(f.length, f.fds), f.body]);
        try {
          native.sendmsg(raw.fd, [bytes.subarray(0, Math.min(bytes.length, HEADER_BYTES + f.length))], fds);
        } catch {
          // The server already hung up.
        }
        for (const fd of fds) fs.closeSync(fd);
      }
      raw.close();
      const reason = await server.done;
      expect(wrong).toEqual([]);
      if (reason !== null) expect(ENDINGS).toContain((reason as Error & { code: string }).code);
      expect(openFdCount()).toBe(before);
    }), { numRuns: 150 });
  });
});

describe('a hostile server against BrokerClient', () => {
  test('random replies reject the call with a ProtocolError or resolve a valid value', async () => {
    const reply = fc.record({ bytes: fc.uint8Array({ maxLength: 40 }), prefix: fc.constantFrom([], [0x52, 1], [0x52, 2]), fds: fc.nat(2) });
    await fc.assert(fc.asyncProperty(fc.constantFrom(...NAMES), reply, async (name, r) => {
      const before = openFdCount();
      const [mine, raw] = Channel.pair();
      await raw.send(encodeHello('server', compiled));
      const broker = await BrokerClient.connect(mine, protocol, { maxBufBytes: MAX_BUF });
      const spec = compiled.byName.get(name)!;
      const fd = openFd();
      const args = spec.args.map((k) => (k === 'int' ? 1 : k === 'buf' ? 'x' : fd));
      const call = (broker.call as (n: string, a: unknown[]) => Promise<unknown>)(name, args);
      await raw.receive(); // the client's hello
      const request = await raw.receive();
      for (const f of request.fds) f.close();
      const fds = Array.from({ length: r.fds }, openFd);
      await raw.send(Buffer.concat([Buffer.from(r.prefix), r.bytes]), fds).catch(() => {});
      for (const f of fds) fs.closeSync(f);
      const outcome = await call.then((value) => ({ value }), (error: Error) => ({ error }));
      if ('error' in outcome) {
        // A BAD with a well-formed code is a legitimate answer; anything else malformed is a ProtocolError.
        if (!(outcome.error instanceof BrokerError)) expect(outcome.error).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL' });
      } else {
        const values = spec.reply.length === 1 ? [outcome.value] : spec.reply.length === 0 ? [] : (outcome.value as unknown[]);
        spec.reply.forEach((kind, i) => {
          if (kind === 'fd') {
            expect(values[i]).toBeInstanceOf(FdHandle);
            (values[i] as FdHandle).close();
          }
        });
      }
      broker.close();
      raw.close();
      fs.closeSync(fd);
      expect(openFdCount()).toBe(before);
    }), { numRuns: 150 });
  });
});

// ---- The extremes, one by one ---------------------------------------------

afterAll(() => killAll());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const frameOf = (data: Buffer, fdCount = 0): Buffer => Buffer.concat([encodeHeader(data.length, fdCount), data]);
const helloFrame = (): Buffer => frameOf(encodeHello('client', compiled));
const requestData = (name: Name, args: unknown[], limit = MAX_BUF): Buffer => encodeRequest(compiled.byName.get(name)!, args, limit).data;

/** The hostile table's server on a socketpair, its Channel made from the fd; the peer end as a net.Socket. */
function serverWithRawPeer() {
  const [mine, theirs] = socketPair();
  const started = startServer(theirs);
  const socket = mine.toSocket();
  socket.on('error', () => {});
  const frames: Buffer[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_BYTES && pending.length >= HEADER_BYTES + pending.readUInt32LE(0)) {
      const end = HEADER_BYTES + pending.readUInt32LE(0);
      frames.push(pending.subarray(HEADER_BYTES, end));
      pending = pending.subarray(end);
    }
  });
  return { ...started, socket, frames };
}

/** A well-behaved client on its own channel to its own server, in this process. */
async function bystander() {
  const [mine, theirs] = socketPair();
  const { server } = startServer(theirs);
  const broker = await BrokerClient.connect(mine, protocol, { maxBufBytes: MAX_BUF });
  return { broker, server };
}

async function closedAndClean(socket: net.Socket, before: number): Promise<void> {
  socket.destroy();
  await waitFor(() => openFdCount() === before, 5_000, `the fd count to return to ${before}`);
}

describe('frame headers at the extremes', () => {
  test.each([
    ['2^32-1 bytes', 0xffffffff, 0, /message header announces 4294967295 bytes; the limit is \d+/],
    ['2^32-1 fds', 0, 0xffffffff, /message header announces 4294967295 fds; at most 253 fit in a message/],
    ['254 fds', 0, 254, /message header announces 254 fds; at most 253/],
    ['one byte over the table\'s largest message', maxMessageBytes(compiled, MAX_BUF) + 1, 0,
      new RegExp(`announces ${maxMessageBytes(compiled, MAX_BUF) + 1} bytes; the limit is ${maxMessageBytes(compiled, MAX_BUF)}`)],
  ])('a header announcing %s ends the channel with a ProtocolError that says so', async (_what, length, fdCount, text) => {
    const before = openFdCount();
    const buffersBefore = process.memoryUsage().arrayBuffers;
    const { server, socket, handled } = serverWithRawPeer();
    socket.write(Buffer.concat([helloFrame(), encodeHeader(length, fdCount)]));
    const reason = await server.done;
    expect(reason).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL' });
    expect(reason!.message).toMatch(text);
    expect(handled).toEqual([]);
    // Refused from the header alone: nothing the size of the announcement was allocated.
    expect(process.memoryUsage().arrayBuffers - buffersBefore).toBeLessThan(16 << 20);
    await closedAndClean(socket, before);
  });

  test('a plain Channel (64 MiB limit) refuses a header of 2^32-1 bytes the same way', async () => {
    const [a, b] = Channel.pair();
    const errors: Error[] = [];
    a.on('error', (err) => errors.push(err));
    native.sendmsg(b.fd, [encodeHeader(0xffffffff, 0)], null);
    await new Promise((resolve) => a.once('close', resolve));
    expect(errors[0]).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringMatching(/announces 4294967295 bytes; the limit is 67108864/) });
    b.close();
  });

  test('a peer process: 253 fds arrive in one message, 254 cannot be sent, 253 without a message are closed', async () => {
    const before = openFdCount();
    const [mine, theirs] = socketPair();
    const peer = `
import os, socket, struct
s = socket.socket(fileno=3)
null = [os.open('/dev/null', os.O_RDONLY) for _ in range(254)]
try:
    socket.send_fds(s, [struct.pack('<II', 0, 254)], null)
    print('254 sent', flush=True)
except OSError as e:
    print('254 refused', e.errno, flush=True)
socket.send_fds(s, [struct.pack('<II', 0, 253)], null[:253])
socket.send_fds(s, [struct.pack('<II', 0, 0)], null[:253])
`;
    const child = spawn('python3', ['-c', peer], { stdio: ['ignore', 'pipe', 'pipe', theirs.fd] });
    theirs.close();
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    const channel = Channel.fromFd(mine);
    const errors: Error[] = [];
    channel.on('error', (err) => errors.push(err));
    const full = await channel.receive();
    expect(full.fds).toHaveLength(253);
    for (const fd of full.fds) expect(fd.kind()).toBe('character-device');
    for (const fd of full.fds) fd.close();
    // The second header announces none: its 253 fds have no message to carry them.
    expect((await channel.receive()).fds).toEqual([]);
    await expect(channel.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect(errors.map((e) => e.message)).toEqual(['253 fds arrived without a message to carry them']);
    await exited;
    // The kernel itself refuses more than 253 fds in one sendmsg (SCM_MAX_FD).
    expect(output).toBe('254 refused 22\n');
    await waitFor(() => openFdCount() === before, 5_000, `the fd count to return to ${before}`);
  });
});

describe('every limit, at it and one over', () => {
  test('Channel message size: the limit arrives; one over is refused by the sender, and by the receiver from the header', async () => {
    const [a, b] = Channel.pair('stream', { maxMessageBytes: 100 });
    await a.send(Buffer.alloc(100, 1));
    expect((await b.receive()).data.length).toBe(100);
    await expect(a.send(Buffer.alloc(101))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await a.send('still open');
    expect((await b.receive()).data.toString()).toBe('still open');
    const errors: Error[] = [];
    b.on('error', (err) => errors.push(err));
    native.sendmsg(a.fd, [encodeHeader(101, 0), Buffer.alloc(101)], null);
    await new Promise((resolve) => b.once('close', resolve));
    expect(errors.map((e) => e.message)).toEqual(['message header announces 101 bytes; the limit is 100']);
    a.close();
  });

  test('bufs: the server answers one at the limit and closes on one over; the client refuses to send one over and stays open', async () => {
    const { broker } = await bystander();
    const atLimit = Buffer.alloc(MAX_BUF, 0x61);
    expect(await broker.text(atLimit, 1)).toEqual(atLimit);
    await expect(broker.text(Buffer.alloc(MAX_BUF + 1), 1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(await broker.num(7)).toBe(7);
    broker.close();

    const { server, socket } = serverWithRawPeer();
    socket.write(Buffer.concat([helloFrame(), frameOf(requestData('text', [Buffer.alloc(MAX_BUF + 1), 1], MAX_BUF + 1))]));
    const reason = await server.done;
    expect(reason).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: `request text: item 2: buf of ${MAX_BUF + 1} bytes is over the limit of ${MAX_BUF}` });
    socket.destroy();
  });

  test('bufs in replies: the client takes one at the limit and rejects one over with a ProtocolError', async () => {
    const [mine, raw] = Channel.pair();
    await raw.send(encodeHello('server', compiled));
    const broker = await BrokerClient.connect(mine, protocol, { maxBufBytes: MAX_BUF });
    await raw.receive(); // the client's hello
    const spec = compiled.byName.get('text')!;
    const first = broker.text('a', 1);
    await raw.receive();
    await raw.send(encodeReply(spec, Buffer.alloc(MAX_BUF, 0x62), MAX_BUF).data);
    expect(await first).toEqual(Buffer.alloc(MAX_BUF, 0x62));
    const second = broker.text('a', 1);
    await raw.receive();
    await raw.send(encodeReply(spec, Buffer.alloc(MAX_BUF + 1), MAX_BUF + 1).data);
    await expect(second).rejects.toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringMatching(`buf of ${MAX_BUF + 1} bytes is over the limit of ${MAX_BUF}`) });
    broker.close();
    raw.close();
  });

  test('error codes: 64 characters cross as they are; 65 become ERR_PRIVSEP_HANDLER_FAILED', async () => {
    const failing = defineProtocol({ name: 'codes', version: 1, requests: { fail: { id: 1, args: ['buf'], reply: ['result'] } } });
    const [mine, theirs] = socketPair();
    const server = new BrokerServer(theirs, failing, {
      answerFail(code) {
        throw Object.assign(new Error('refused'), { code: code.toString() });
      },
    });
    const broker = await BrokerClient.connect(mine, failing);
    const code64 = 'E'.repeat(64);
    await expect(broker.fail(code64)).rejects.toMatchObject({ code: code64 });
    await expect(broker.fail(`${code64}X`)).rejects.toMatchObject({ code: 'ERR_PRIVSEP_HANDLER_FAILED' });
    broker.close();
    expect(await server.done).toBe(null);
  });
});

describe('slow, stalled and non-reading peers', () => {
  test('a request sent one byte at a time is answered once whole; another channel is answered meanwhile', async () => {
    const { server, socket, frames, handled } = serverWithRawPeer();
    const { broker } = await bystander();
    const bytes = Buffer.concat([helloFrame(), frameOf(requestData('num', [41]))]);
    for (let i = 0; i < bytes.length; i++) {
      socket.write(bytes.subarray(i, i + 1));
      await sleep(5);
      if (i % 10 === 0) expect(await broker.num(i)).toBe(i);
      if (i < bytes.length - 1) expect(handled).toEqual([]);
    }
    await waitFor(() => frames.length === 2, 5_000, 'the hello and the reply');
    expect(decodeReply(compiled.byName.get('num')!, { data: frames[1]!, fds: [] }, MAX_BUF)).toEqual({ ok: true, value: 41 });
    socket.end();
    expect(await server.done).toBe(null);
    broker.close();
  });

  test('a peer that stalls in the middle of a frame holds only its own channel; its close is a ProtocolError', async () => {
    const { server, socket, handled } = serverWithRawPeer();
    const { broker } = await bystander();
    const request = frameOf(requestData('text', [Buffer.alloc(40, 0x63), 2]));
    socket.write(Buffer.concat([helloFrame(), request.subarray(0, 20)]));
    for (let i = 0; i < 20; i++) {
      expect(await broker.num(i)).toBe(i);
      await sleep(10);
    }
    expect(handled).toEqual([]);
    expect(server.closed).toBe(false);
    socket.end();
    const reason = await server.done;
    expect(reason).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: 'peer closed the channel in the middle of a message (20 bytes pending)' });
    broker.close();
  });

  test('a peer process that never reads its replies stalls only its channel, and the server holds a few requests, not all', async () => {
    // The server runs in its own process (its Channel made from the fd), so its memory can be measured alone.
    const table = compileProtocol(defineProtocol({ name: 'privsep-test', version: 1, requests: testRequests }));
    const [mine, theirs] = socketPair();
    const child = startNode(fixture('broker-server.mjs'), ['1', 'fd'], [theirs.fd]);
    theirs.close();
    const flooder = mine.toSocket();
    flooder.on('error', () => {});
    flooder.pause();
    const rss = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.child.pid}/status`, 'utf8'))?.[1]) * 1024;
    const write = (data: Buffer) => new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1_000);
      flooder.write(data, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    expect(await write(frameOf(encodeHello('client', table)))).toBe(true);
    await sleep(500);
    const rssBefore = rss();
    const request = frameOf(encodeRequest(table.byName.get('reverse')!, [Buffer.alloc(64 * 1024, 0x64)], 64 * 1024).data);
    let taken = 0;
    // Without a bound the server would take all 1,000 (64 MiB) while its replies pile up unread.
    while (taken < 1_000 && (await write(request))) taken++;
    await sleep(500);
    const growth = rss() - rssBefore;
    expect(taken).toBeLessThan(64);
    expect(growth).toBeLessThan(24 << 20);
    expect(child.child.exitCode).toBe(null);
    // Paused, not broken: once the peer reads, every request taken is answered.
    let replies = -1; // the server's hello comes first
    let pending = Buffer.alloc(0);
    flooder.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= HEADER_BYTES && pending.length >= HEADER_BYTES + pending.readUInt32LE(0)) {
        pending = pending.subarray(HEADER_BYTES + pending.readUInt32LE(0));
        replies++;
      }
    });
    flooder.resume();
    await waitFor(() => replies >= taken + 1, 20_000, `replies to the ${taken + 1} requests sent`);
    flooder.end();
    await child.exited;
    expect(JSON.parse(child.stdout().trim().split('\n').pop()!)).toMatchObject({ reason: null });
  });
});

describe('slow handlers', () => {
  test('a slow handler delays only its own channel: another channel of the same process is answered meanwhile', async () => {
    const slowTable = defineProtocol({
      name: 'slow', version: 1,
      requests: { slow: { id: 1, args: [], reply: ['result'] }, echo: { id: 2, args: ['int'], reply: ['result', 'int'] } },
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handlers = { answerSlow: () => released, answerEcho: (n: number) => n };
    const [slowMine, slowTheirs] = socketPair();
    const [fastMine, fastTheirs] = socketPair();
    const servers = [new BrokerServer(slowTheirs, slowTable, handlers), new BrokerServer(fastTheirs, slowTable, handlers)];
    const slowClient = await BrokerClient.connect(slowMine, slowTable);
    const fastClient = await BrokerClient.connect(fastMine, slowTable);
    let slowDone = false;
    const slowCall = slowClient.slow().then(() => (slowDone = true));
    // Behind the slow request on its own channel: answered only after it.
    let queuedDone = false;
    const queued = slowClient.echo(99).then((n) => {
      queuedDone = true;
      return n;
    });
    for (let i = 0; i < 50; i++) expect(await fastClient.echo(i)).toBe(i);
    expect(slowDone).toBe(false);
    expect(queuedDone).toBe(false);
    release();
    await slowCall;
    expect(await queued).toBe(99);
    slowClient.close();
    fastClient.close();
    expect(await Promise.all(servers.map((s) => s.done))).toEqual([null, null]);
  });
});
