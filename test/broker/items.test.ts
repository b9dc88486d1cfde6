// The item codec on literal bytes: what each kind looks like on the wire,
// and the ProtocolError each malformed item gets.
import { describe, expect, test } from 'vitest';
import { ItemReader, ItemWriter, badResultBytes, checkCode, toBufBytes } from '../../src/broker/items.js';
import { FdHandle } from '../../src/index.js';

const bytes = (...values: number[]): Buffer => Buffer.from(values);

describe('ItemWriter', () => {
  test('writes each kind with its tag and body', () => {
    const code = 'EACCES';
    const written = new ItemWriter(2 + 2 + 5 + 8 + 1 + badResultBytes(code))
      .cmd(7).ok().int(-2).buf(Buffer.from('abc')).fd().bad(code, -13).finish();
    expect(written).toEqual(Buffer.concat([
      bytes(0x43, 7), // cmd 7
      bytes(0x52, 0x01), // result OK
      bytes(0x49, 0xfe, 0xff, 0xff, 0xff), // int -2
      bytes(0x42, 3, 0, 0, 0), Buffer.from('abc'), // buf "abc"
      bytes(0x46), // fd
      bytes(0x52, 0x02, 0xf3, 0xff, 0xff, 0xff, 6), Buffer.from('EACCES'), // result BAD -13 "EACCES"
    ]));
  });
});

describe('ItemReader', () => {
  const read = (data: Buffer, fds: FdHandle[] = [], max = 16): ItemReader => new ItemReader(data, fds, max, 'test');

  test('reads back every kind in order', () => {
    const reader = read(Buffer.concat([
      bytes(0x43, 255, 0x52, 0x01, 0x49, 0x00, 0x00, 0x00, 0x80, 0x42, 2, 0, 0, 0, 0x68, 0x69),
      bytes(0x52, 0x02, 0, 0, 0, 0, 3), Buffer.from('E_X'),
    ]));
    expect(reader.cmd()).toBe(255);
    expect(reader.result()).toEqual({ ok: true });
    expect(reader.int()).toBe(-0x80000000);
    expect(reader.buf().toString()).toBe('hi');
    expect(reader.result()).toEqual({ ok: false, code: 'E_X', errno: 0 });
    reader.end();
  });

  test('takes the message fds in order for fd items', () => {
    const fds = [new FdHandle(0), new FdHandle(1)];
    const reader = read(bytes(0x46, 0x46), fds);
    expect(reader.fd()).toBe(fds[0]);
    expect(reader.fd()).toBe(fds[1]);
    reader.end();
    for (const fd of fds) fd.release();
  });

  test.each([
    ['a wrong kind', bytes(0x42, 0, 0, 0, 0), (r: ItemReader) => r.int(), /test: item 1: expected int, found buf/],
    ['an unknown tag', bytes(0x99), (r: ItemReader) => r.cmd(), /item 1: expected cmd, found unknown item tag 0x99/],
    ['an empty message', bytes(), (r: ItemReader) => r.int(), /expected int, but the message ended \(short read\)/],
    ['a short int', bytes(0x49, 1, 2), (r: ItemReader) => r.int(), /int is cut short \(short read\): it needs 4 more bytes, 2 remain/],
    ['a short buf header', bytes(0x42, 1), (r: ItemReader) => r.buf(), /buf is cut short/],
    ['a short buf body', bytes(0x42, 4, 0, 0, 0, 1, 2), (r: ItemReader) => r.buf(), /buf is cut short \(short read\): it needs 4 more bytes, 2 remain/],
    ['a buf over the limit', bytes(0x42, 17, 0, 0, 0), (r: ItemReader) => r.buf(), /buf of 17 bytes is over the limit of 16/],
    ['a huge buf length', bytes(0x42, 0xff, 0xff, 0xff, 0xff), (r: ItemReader) => r.buf(), /buf of 4294967295 bytes is over the limit/],
    ['a missing fd', bytes(0x46), (r: ItemReader) => r.fd(), /item 1: missing fd: the message carries only 0 fds/],
    ['a bad result status', bytes(0x52, 0x07), (r: ItemReader) => r.result(), /result status 0x07 is neither OK/],
    ['a short BAD code', bytes(0x52, 0x02, 0, 0, 0, 0, 5, 0x41), (r: ItemReader) => r.result(), /result is cut short/],
    ['a BAD code with a space', bytes(0x52, 0x02, 0, 0, 0, 0, 2, 0x41, 0x20), (r: ItemReader) => r.result(), /BAD result code is not/],
    ['an empty BAD code', bytes(0x52, 0x02, 0, 0, 0, 0, 0), (r: ItemReader) => r.result(), /BAD result code is not/],
  ])('rejects %s with a ProtocolError', (_what, data, op, message) => {
    expect(() => op(read(data))).toThrow(expect.objectContaining({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringMatching(message) }));
  });

  test('end() names leftover bytes and extra fds', () => {
    const left = read(bytes(0x49, 0, 0, 0, 0, 0x49));
    left.int();
    expect(() => left.end()).toThrow(/test: item 2: 1 bytes left over after the last expected item/);
    const fd = new FdHandle(0);
    const extra = read(bytes(0x49, 0, 0, 0, 0), [fd]);
    extra.int();
    expect(() => extra.end()).toThrow(expect.objectContaining({ code: 'ERR_PRIVSEP_PROTOCOL', message: 'test: 1 extra fd: the message carries 1, its items use 0' }));
    fd.release();
  });
});

describe('value checks', () => {
  test('toBufBytes takes strings as UTF-8 and enforces the limit', () => {
    expect(toBufBytes('b', 'é', 2)).toEqual(bytes(0xc3, 0xa9));
    expect(toBufBytes('b', new Uint8Array([1, 2]), 2)).toEqual(bytes(1, 2));
    expect(() => toBufBytes('b', 'abc', 2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => toBufBytes('b', 5, 2)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('checkCode accepts short ASCII codes only', () => {
    expect(checkCode('ERR_X1')).toBe('ERR_X1');
    for (const bad of ['', 'a b', 'é', 'X'.repeat(65), 3]) {
      expect(() => checkCode(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
  });
});
