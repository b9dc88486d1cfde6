// setOobInline and setTcpNoDelay: the options are set on TCP sockets, and
// anything else gets an error shaped like Node's.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setOobInline, setTcpNoDelay } from '../../src/index.js';
import { connectedPair } from '../helpers/tcp-pair.js';

describe('setOobInline', () => {
  it('sets SO_OOBINLINE on a socket; a file fd gets ENOTSOCK', async () => {
    const { server, close } = await connectedPair();
    try {
      expect(() => setOobInline(server)).not.toThrow();
      expect(() => setOobInline(server, false)).not.toThrow();
    } finally {
      close();
    }
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(() => setOobInline(fd)).toThrow(expect.objectContaining({ code: 'ENOTSOCK', syscall: 'setsockopt' }));
    } finally {
      fs.closeSync(fd);
    }
    expect(() => setOobInline('x' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('setTcpNoDelay', () => {
  it('sets TCP_NODELAY on a TCP socket fd; other fds get the errno', async () => {
    const { server, close } = await connectedPair();
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      expect(() => setTcpNoDelay(fd)).not.toThrow();
      expect(() => setTcpNoDelay(fd, false)).not.toThrow();
    } finally {
      close();
    }
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(() => setTcpNoDelay(fd)).toThrow(expect.objectContaining({ code: 'ENOTSOCK', syscall: 'setsockopt' }));
    } finally {
      fs.closeSync(fd);
    }
    expect(() => setTcpNoDelay(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
