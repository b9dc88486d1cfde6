// readNonBlocking / writeNonBlocking / setNonBlocking, and their native
// wrappers: real sockets and files, EAGAIN as null, Node-shaped errors.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { peekNonBlocking, readNonBlocking, setNonBlocking, socketPair, writeNonBlocking } from '../../src/index.js';
import { native } from '../../src/native.js';

function nonblocking(fd: number): boolean {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  return (parseInt(/flags:\s+([0-7]+)/.exec(info)![1]!, 8) & 0o4000) !== 0;
}

describe('readNonBlocking / writeNonBlocking', () => {
  it('return null on EAGAIN and the byte count otherwise', () => {
    const [a, b] = socketPair('stream');
    try {
      const buffer = Buffer.alloc(16);
      expect(readNonBlocking(b, buffer)).toBeNull();
      expect(writeNonBlocking(a, Buffer.from('hello'))).toBe(5);
      expect(readNonBlocking(b, buffer, 2, 3)).toBe(3);
      expect(buffer.subarray(0, 5)).toEqual(Buffer.from('\0\0hel'));
      expect(readNonBlocking(b.fd, buffer)).toBe(2);
      expect(buffer.subarray(0, 2).toString()).toBe('lo');
      a.close();
      expect(readNonBlocking(b, buffer)).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('write an array as one message (writev) and read one message per call on seqpacket', () => {
    const [a, b] = socketPair('seqpacket');
    try {
      expect(writeNonBlocking(a, [Buffer.from('head'), new Uint8Array([1, 2]), Buffer.alloc(0)])).toBe(6);
      expect(writeNonBlocking(a, Buffer.from('second'))).toBe(6);
      const buffer = Buffer.alloc(64);
      expect(readNonBlocking(b, buffer)).toBe(6);
      expect(buffer.subarray(0, 6)).toEqual(Buffer.from([0x68, 0x65, 0x61, 0x64, 1, 2]));
      expect(readNonBlocking(b, buffer)).toBe(6);
      expect(buffer.subarray(0, 6).toString()).toBe('second');
      expect(readNonBlocking(b, buffer)).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });

  it('return null when the socket buffer is full, and a bounded fill reaches that point', () => {
    const [a, b] = socketPair('stream');
    try {
      const chunk = Buffer.alloc(65536);
      let total = 0;
      let full = false;
      for (let i = 0; i < 10_000 && !full; i++) {
        const n = writeNonBlocking(a, chunk);
        if (n === null) full = true;
        else total += n;
      }
      expect(full).toBe(true);
      expect(total).toBeGreaterThan(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('read regular files too', () => {
    const fd = fs.openSync('/etc/hostname', 'r');
    try {
      const buffer = Buffer.alloc(4096);
      const n = readNonBlocking(fd, buffer)!;
      expect(buffer.subarray(0, n).toString()).toBe(fs.readFileSync('/etc/hostname', 'utf8'));
    } finally {
      fs.closeSync(fd);
    }
  });

  it('throw Node-shaped system errors', () => {
    const dir = fs.openSync('/', 'r');
    const readOnly = fs.openSync('/etc/hostname', 'r');
    try {
      expect(() => readNonBlocking(dir, Buffer.alloc(8))).toThrow(expect.objectContaining({ code: 'EISDIR', errno: -21, syscall: 'read' }));
      expect(() => writeNonBlocking(readOnly, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'write' }));
      expect(() => readNonBlocking(1_000_000, Buffer.alloc(8))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'read' }));
      expect(() => writeNonBlocking(1_000_000, [Buffer.from('x')])).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'write' }));
    } finally {
      fs.closeSync(dir);
      fs.closeSync(readOnly);
    }
  });

  it('reject bad arguments in TypeScript and again in C++', () => {
    expect(() => readNonBlocking(-1, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => readNonBlocking(0, 'text' as unknown as Buffer)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => readNonBlocking(0, Buffer.alloc(4), 5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => readNonBlocking(0, Buffer.alloc(4), 2, 3)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => writeNonBlocking(0, [Buffer.alloc(1), 'x' as unknown as Buffer])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => writeNonBlocking(0, new Array(1025).fill(Buffer.alloc(1)))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.read(0, Buffer.alloc(4), 3, 2)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/^Usage: read/) }));
    expect(() => native.read(0, new Uint16Array(4) as unknown as Uint8Array, 0, 1)).toThrow(TypeError);
    expect(() => native.write(0, [new Float32Array(1) as unknown as Uint8Array])).toThrow(expect.objectContaining({ message: expect.stringMatching(/^Usage: write/) }));
  });

  it('setNonBlocking toggles O_NONBLOCK', () => {
    const [a, b] = socketPair('stream');
    try {
      setNonBlocking(a, false);
      expect(nonblocking(a.fd)).toBe(false);
      setNonBlocking(a.fd);
      expect(nonblocking(a.fd)).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('peekNonBlocking', () => {
  it('copies what waits without taking it: null when nothing waits, 0 at the end, ENOTSOCK on a file', () => {
    const [a, b] = socketPair('stream');
    try {
      const buffer = Buffer.alloc(16);
      expect(peekNonBlocking(b, buffer)).toBeNull();
      writeNonBlocking(a, Buffer.from('hello'));
      expect(peekNonBlocking(b, buffer, 0, 3)).toBe(3);
      expect(peekNonBlocking(b, buffer, 3)).toBe(5);
      expect(buffer.subarray(0, 8).toString()).toBe('helhello');
      expect(readNonBlocking(b, buffer)).toBe(5);
      a.close();
      expect(peekNonBlocking(b, buffer)).toBe(0);
      expect(() => peekNonBlocking(b, buffer, 17)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    } finally {
      a.close();
      b.close();
    }
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(() => peekNonBlocking(fd, Buffer.alloc(4))).toThrow(expect.objectContaining({ code: 'ENOTSOCK', syscall: 'recv' }));
    } finally {
      fs.closeSync(fd);
    }
  });
});
