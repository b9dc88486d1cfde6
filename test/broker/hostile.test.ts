// A hostile peer: fast-check feeds random and mutated byte streams, and
// random fds, to a BrokerServer (and random replies to a BrokerClient). The
// process never crashes, no fd leaks (/proc/self/fd is counted), and every
// run ends either with only valid requests answered or with a ProtocolError.
import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BrokerClient, BrokerError, BrokerServer, Channel, FdHandle, defineProtocol, socketPair, type Message } from '../../src/index.js';
import { compileProtocol } from '../../src/broker/requests.js';
import { encodeHello } from '../../src/broker/hello.js';
import { encodeRequest } from '../../src/broker/messages.js';
import { HEADER_BYTES, encodeHeader } from '../../src/fd/frame-reader.js';
import { native } from '../../src/native.js';
import { openFdCount } from '../helpers/process.js';

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
