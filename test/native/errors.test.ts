// The addon's errors have Node's shape: code, negative errno, syscall.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

describe('native errors', () => {
  it('a bad fd gives EBADF shaped like a Node system error', () => {
    let caught: unknown;
    try {
      native.close(999_999);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'close' });
    expect((caught as Error).message).toBe('EBADF: bad file descriptor, close');
  });

  it('sendmsg on a non-socket names sendmsg', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(() => native.sendmsg(fd, [Buffer.from('x')], null)).toThrow(
        expect.objectContaining({ code: 'ENOTSOCK', syscall: 'sendmsg' }),
      );
    } finally {
      fs.closeSync(fd);
    }
  });

  it('bad arguments throw a usage TypeError instead of reaching the kernel', () => {
    const call = native.close as unknown as (...args: unknown[]) => void;
    expect(() => call('3')).toThrow(TypeError);
    expect(() => call(-1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const send = native.sendmsg as unknown as (...args: unknown[]) => void;
    expect(() => send(3, 'not an array', null)).toThrow(/Usage: sendmsg/);
    expect(() => send(3, [Buffer.alloc(1)], new Array(254).fill(0))).toThrow(/Usage: sendmsg/);
  });
});
