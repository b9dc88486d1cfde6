// defineProtocol: a table is checked once, and its fingerprint depends on
// the wire shape only.
import { describe, expect, test } from 'vitest';
import { defineProtocol, type RequestTable } from '../../src/index.js';
import { compileProtocol } from '../../src/broker/requests.js';

const define = (requests: RequestTable, name = 'p', version = 1) =>
  defineProtocol({ name, version, requests: requests as never });

describe('defineProtocol', () => {
  test('compiles a table: handler names, phases, flags', () => {
    const protocol = defineProtocol({
      name: 'helper', version: 3, requests: {
        getDataSocket: { id: 3, phase: 'postlogin', args: ['int'], reply: ['result', 'fd'] },
        login: { id: 1, phase: ['prelogin', 'retry'], once: true, args: ['buf', 'buf'], reply: ['result'] },
      },
    });
    expect(Object.isFrozen(protocol)).toBe(true);
    const compiled = compileProtocol(protocol);
    expect(compiled.byId[3]).toMatchObject({ name: 'getDataSocket', handlerName: 'answerGetDataSocket', args: ['int'], reply: ['fd'], phases: ['postlogin'], once: false });
    expect(compiled.byName.get('login')).toMatchObject({ id: 1, phases: ['prelogin', 'retry'], once: true, reply: [] });
    expect(protocol.fingerprint).toBe(compiled.fingerprint);
  });

  test.each([
    ['a duplicate id', { a: { id: 1, args: [], reply: ['result'] }, b: { id: 1, args: [], reply: ['result'] } }, /argument 'requests.b.id' must be unique; a has id 1 too/],
    ['an id over 255', { a: { id: 256, args: [], reply: ['result'] } }, /requests.a.id/],
    ['an unknown kind', { a: { id: 1, args: ['str'], reply: ['result'] } }, /argument 'requests.a.args' may hold only 'int', 'buf' and 'fd'/],
    ['a reply without result', { a: { id: 1, args: [], reply: ['int'] } }, /argument 'requests.a.reply' must be an array that starts with 'result'/],
    ['result in the values', { a: { id: 1, args: [], reply: ['result', 'result'] } }, /requests.a.reply/],
    ['a reserved name', { then: { id: 1, args: [], reply: ['result'] } }, /argument 'requests.then' is a reserved name/],
    ['a name that is no identifier', { 'a-b': { id: 1, args: [], reply: ['result'] } }, /not an identifier/],
    ['an empty phase list', { a: { id: 1, args: [], reply: ['result'], phase: [] } }, /requests.a.phase/],
  ])('refuses %s', (_what, requests, message) => {
    expect(() => define(requests as unknown as RequestTable)).toThrow(message);
  });

  test('refuses a bad protocol name or version', () => {
    expect(() => define({}, 'has space')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => define({}, 'x'.repeat(65))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => define({}, 'ok', -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('the fingerprint follows the wire shape, not the order or the policy', () => {
    const base = define({ a: { id: 1, args: ['int'], reply: ['result'] }, b: { id: 2, args: [], reply: ['result', 'fd'] } });
    const reordered = define({ b: { id: 2, args: [], reply: ['result', 'fd'] }, a: { id: 1, args: ['int'], reply: ['result'], phase: 'x', once: true } });
    const changed = define({ a: { id: 1, args: ['buf'], reply: ['result'] }, b: { id: 2, args: [], reply: ['result', 'fd'] } });
    expect(reordered.fingerprint).toBe(base.fingerprint);
    expect(changed.fingerprint).not.toBe(base.fingerprint);
    // SHA-256 of "1 a int result\n2 b  result,fd\n", first four bytes, as docs/broker.md describes.
    expect(base.fingerprint).toBe(0x2c05222c);
  });
});
