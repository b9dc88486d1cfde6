// The typed layer's messages on literal bytes: one message per request and
// per reply, and the hello.
import { describe, expect, test } from 'vitest';
import { FdHandle, defineProtocol } from '../../src/index.js';
import { compileProtocol } from '../../src/broker/requests.js';
import { decodeReply, decodeRequest, encodeBad, encodeReply, encodeRequest, maxMessageBytes } from '../../src/broker/messages.js';
import { HELLO_MAGIC, checkHello, encodeHello } from '../../src/broker/hello.js';

const protocol = compileProtocol(defineProtocol({
  name: 'msg', version: 2, requests: {
    getDataSocket: { id: 3, args: ['int'], reply: ['result', 'fd'] },
    stat: { id: 4, args: ['buf', 'fd'], reply: ['result', 'int', 'buf'] },
    noop: { id: 5, args: [], reply: ['result'] },
  },
}));
const getDataSocket = protocol.byName.get('getDataSocket')!;
const stat = protocol.byName.get('stat')!;
const noop = protocol.byName.get('noop')!;
const message = (data: number[] | Buffer, fds: FdHandle[] = []) => ({ data: Buffer.from(data), fds });

describe('requests', () => {
  test('a request is its cmd then its arguments, in one message', () => {
    expect(encodeRequest(getDataSocket, [20], 16)).toEqual({ data: Buffer.from([0x43, 3, 0x49, 20, 0, 0, 0]), fds: [] });
    const { data, fds } = encodeRequest(stat, ['ab', 7], 16);
    expect(data).toEqual(Buffer.from([0x43, 4, 0x42, 2, 0, 0, 0, 0x61, 0x62, 0x46]));
    expect(fds).toEqual([7]);
  });

  test('arguments are checked before anything is sent', () => {
    expect(() => encodeRequest(getDataSocket, [], 16)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/'args' of getDataSocket must be 1 argument/) }));
    expect(() => encodeRequest(getDataSocket, ['20'], 16)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => encodeRequest(getDataSocket, [1.5], 16)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => encodeRequest(stat, ['x'.repeat(17), 7], 16)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => encodeRequest(stat, ['x', {}], 16)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('decodeRequest finds the request and its arguments', () => {
    const fd = new FdHandle(0);
    const decoded = decodeRequest(protocol, message([0x43, 4, 0x42, 1, 0, 0, 0, 0x7a, 0x46], [fd]), 16);
    expect(decoded.request).toBe(stat);
    expect(decoded.args).toEqual([Buffer.from('z'), fd]);
    fd.release();
  });

  test.each([
    ['an unknown id', [0x43, 9], 'request: unknown request id 9: the msg table declares no such request'],
    ['no cmd first', [0x49, 0, 0, 0, 0], 'request: item 1: expected cmd, found int'],
    ['a wrong argument kind', [0x43, 3, 0x42, 0, 0, 0, 0], 'request getDataSocket: item 2: expected int, found buf'],
    ['a short argument', [0x43, 3, 0x49, 0], 'request getDataSocket: item 2: int is cut short (short read): it needs 4 more bytes, 1 remain'],
    ['a missing argument', [0x43, 3], 'request getDataSocket: item 2: expected int, but the message ended (short read)'],
    ['an extra item', [0x43, 5, 0x49, 0, 0, 0, 0], 'request noop: item 2: 5 bytes left over after the last expected item'],
    ['a missing fd', [0x43, 4, 0x42, 0, 0, 0, 0, 0x46], 'request stat: item 3: missing fd: the message carries only 0 fds'],
    ['a buf over the limit', [0x43, 4, 0x42, 17, 0, 0, 0], 'request stat: item 2: buf of 17 bytes is over the limit of 16'],
  ])('refuses %s, naming it', (_what, bytes, text) => {
    expect(() => decodeRequest(protocol, message(bytes), 16)).toThrow(expect.objectContaining({ code: 'ERR_PRIVSEP_PROTOCOL', message: text }));
  });
});

describe('replies', () => {
  test('an OK reply is the result then the values; BAD carries errno and code', () => {
    expect(encodeReply(getDataSocket, 5, 16)).toEqual({ data: Buffer.from([0x52, 1, 0x46]), fds: [5] });
    expect(encodeReply(stat, [-1, 'q'], 16).data).toEqual(Buffer.from([0x52, 1, 0x49, 0xff, 0xff, 0xff, 0xff, 0x42, 1, 0, 0, 0, 0x71]));
    expect(encodeReply(noop, undefined, 16).data).toEqual(Buffer.from([0x52, 1]));
    expect(encodeBad('EPERM', -1)).toEqual(Buffer.from([0x52, 2, 0xff, 0xff, 0xff, 0xff, 5, 0x45, 0x50, 0x45, 0x52, 0x4d]));
  });

  test('a handler value that does not fit the table is refused', () => {
    expect(() => encodeReply(stat, [1], 16)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => encodeReply(getDataSocket, 'nope', 16)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('decodeReply gives one value, a tuple, or nothing', () => {
    const fd = new FdHandle(0);
    expect(decodeReply(getDataSocket, message([0x52, 1, 0x46], [fd]), 16)).toEqual({ ok: true, value: fd });
    fd.release();
    expect(decodeReply(stat, message([0x52, 1, 0x49, 9, 0, 0, 0, 0x42, 0, 0, 0, 0]), 16)).toEqual({ ok: true, value: [9, Buffer.alloc(0)] });
    expect(decodeReply(noop, message([0x52, 1]), 16)).toEqual({ ok: true, value: undefined });
    expect(decodeReply(noop, message(encodeBad('EIO', -5)), 16)).toEqual({ ok: false, code: 'EIO', errno: -5 });
    expect(() => decodeReply(getDataSocket, message([0x52, 1]), 16)).toThrow('reply to getDataSocket: item 2: expected fd, but the message ended (short read)');
    expect(() => decodeReply(noop, message([0x52, 2, 0, 0, 0, 0, 1, 0x41, 0x49]), 16)).toThrow('reply to noop: item 2: 1 bytes left over after the last expected item');
  });

  test('maxMessageBytes bounds the largest message of the table', () => {
    // The stat reply, result(2) + int(5) + buf(5 + 100) = 112, beats its request, the hello and the largest BAD.
    expect(maxMessageBytes(protocol, 100)).toBe(112);
    expect(maxMessageBytes(protocol, 0)).toBe(94);
  });
});

describe('hello', () => {
  test('is magic, wire version, role, protocol name, version and fingerprint', () => {
    const hello = encodeHello('client', protocol);
    const fp = Buffer.alloc(4);
    fp.writeUInt32LE(protocol.fingerprint);
    expect(hello).toEqual(Buffer.concat([
      Buffer.from([0x49, 0x50, 0x53, 0x42, 0x4b]), // int "PSBK"
      Buffer.from([0x49, 1, 0, 0, 0, 0x49, 1, 0, 0, 0]), // wire version 1, role client
      Buffer.from([0x42, 3, 0, 0, 0]), Buffer.from('msg'),
      Buffer.from([0x49, 2, 0, 0, 0, 0x49]), fp,
    ]));
    expect(HELLO_MAGIC).toBe(Buffer.from('PSBK').readUInt32LE());
    expect(() => checkHello(message(hello), 'server', protocol)).not.toThrow();
  });

  test.each([
    ['two clients', () => encodeHello('client', protocol), 'broker hello: the peer is also a broker client; a client needs a server'],
    ['another version', () => encodeHello('server', { ...protocol, version: 3 }), 'broker hello: the peer speaks protocol "msg" version 3, this side "msg" version 2'],
    ['another table', () => encodeHello('server', { ...protocol, fingerprint: 1 }), `broker hello: the peer's request table for "msg" version 2 differs from this side's (fingerprint 0x00000001, this side 0x${protocol.fingerprint.toString(16).padStart(8, '0')})`],
    ['no hello at all', () => Buffer.from([0x43, 1]), "the peer's first message is not a broker hello (hello: item 1: expected int, found cmd)"],
    ['a wrong magic', () => Buffer.from([0x49, 1, 0, 0, 0]), "the peer's first message is not a broker hello (magic 0x00000001, expected 0x4b425350)"],
    ['another wire version', () => { const h = encodeHello('server', protocol); h[6] = 9; return h; }, 'broker hello: the peer speaks wire version 9, this side speaks 1'],
  ])('names what differs: %s', (_what, make, text) => {
    expect(() => checkHello(message(make()), 'client', protocol)).toThrow(expect.objectContaining({ code: 'ERR_PRIVSEP_PROTOCOL', message: text }));
  });
});
