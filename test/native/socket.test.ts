// Socket wrappers: socketpair types, flags, peer credentials, addresses.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

function fdFlags(fd: number): { nonblock: boolean; cloexec: boolean } {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const flags = parseInt(/flags:\s+([0-7]+)/.exec(info)![1]!, 8);
  return { nonblock: (flags & 0o4000) !== 0, cloexec: (flags & 0o2000000) !== 0 };
}

describe('socket wrappers', () => {
  it.each([
    ['stream', 'SOCK_STREAM'],
    ['seqpacket', 'SOCK_SEQPACKET'],
  ] as const)('socketpair(%s) gives a connected, non-blocking, close-on-exec pair', (_name, constant) => {
    const [a, b] = native.socketpair(native[constant]);
    try {
      expect(a).not.toBe(b);
      expect(native.getSocketType(a)).toBe(native[constant]);
      expect(fdFlags(a)).toEqual({ nonblock: true, cloexec: true });
      expect(fdFlags(b)).toEqual({ nonblock: true, cloexec: true });
      expect(native.getPeerCred(a)).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    } finally {
      native.close(a);
      native.close(b);
    }
  });

  it('setCloexec and setNonBlocking toggle the flags', () => {
    const [a, b] = native.socketpair(native.SOCK_STREAM);
    native.setCloexec(a, false);
    native.setNonBlocking(a, false);
    expect(fdFlags(a)).toEqual({ nonblock: false, cloexec: false });
    native.close(a);
    native.close(b);
  });

  it('dup never lands on stdio and is close-on-exec', () => {
    const fd = native.dup(0);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(fdFlags(fd).cloexec).toBe(true);
    native.close(fd);
  });

  it('an abstract unix name round-trips through getsockname', () => {
    const fd = native.unixSocket(native.SOCK_STREAM);
    const name = `privsep-test-${process.pid}`;
    native.bindUnix(fd, Buffer.from(name), true);
    const address = native.getsockname(fd);
    expect(address).toMatchObject({ family: 'unix', abstract: true });
    expect((address as { path: Buffer }).path.toString()).toBe(name);
    native.close(fd);
  });

  it('rejects a unix path that does not fit sun_path', () => {
    const fd = native.unixSocket(native.SOCK_STREAM);
    expect(() => native.bindUnix(fd, Buffer.alloc(200, 'a'), false)).toThrow(
      expect.objectContaining({ code: 'ENAMETOOLONG', syscall: 'bind' }),
    );
    native.close(fd);
  });

  it('accept on a socket with no waiting connection returns -1', () => {
    const fd = native.unixSocket(native.SOCK_STREAM);
    native.bindUnix(fd, Buffer.from(`privsep-accept-${process.pid}`), true);
    native.listen(fd, 4);
    expect(native.accept(fd)).toBe(-1);
    native.close(fd);
  });
});
