// Plain read/write on a raw non-blocking fd (a device such as /dev/fuse, a
// pipe, a socket nobody else reads): one system call each, EAGAIN reported as
// null so that the caller waits for readiness (FdPoller) and tries again.
import { native } from '../native.js';
import { checkFd, checkInteger, invalidArgType, outOfRange } from '../errors.js';
import { FdHandle } from './fd-handle.js';

function fdNumber(fd: number | FdHandle): number {
  return fd instanceof FdHandle ? fd.fd : checkFd('fd', fd);
}

/**
 * Sets or clears O_NONBLOCK on `fd` (a file status flag: it is shared by
 * every duplicate of the fd, also in other processes).
 * @throws EBADF; ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE for a bad fd
 */
export function setNonBlocking(fd: number | FdHandle, on = true): void {
  native.setNonBlocking(fdNumber(fd), on);
}

/**
 * One read(2) into `buffer[offset, offset + length)`. Returns the byte count
 * (0 at end of file), or null when nothing is ready (EAGAIN). On a device
 * or a seqpacket socket one call returns exactly one message.
 * @throws EBADF, EINVAL, EIO, ENODEV and the other errors of read(2), Node-shaped;
 *   ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE for bad arguments
 */
export function readNonBlocking(fd: number | FdHandle, buffer: Uint8Array, offset = 0, length?: number): number | null {
  return readInto(native.read, fd, buffer, offset, length);
}

/**
 * One recv(2) with MSG_PEEK into `buffer[offset, offset + length)`: the
 * bytes waiting on socket `fd`, left there for the next read. Returns the
 * byte count (0 at end of stream), or null when nothing is ready.
 * @throws EBADF, ENOTSOCK, ECONNRESET and the other errors of recv(2), Node-shaped;
 *   ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE for bad arguments
 */
export function peekNonBlocking(fd: number | FdHandle, buffer: Uint8Array, offset = 0, length?: number): number | null {
  return readInto(native.peek, fd, buffer, offset, length);
}

function readInto(call: typeof native.read, fd: number | FdHandle, buffer: Uint8Array, offset: number, length: number | undefined): number | null {
  const n = fdNumber(fd);
  if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'an instance of Uint8Array', buffer);
  checkInteger('offset', offset, 0, Math.min(buffer.byteLength, 0x7fffffff));
  const size = length ?? buffer.byteLength - offset;
  checkInteger('length', size, 0, Math.min(buffer.byteLength - offset, 0x7fffffff));
  const got = call(n, buffer, offset, size);
  return got < 0 ? null : got;
}

/**
 * One write(2), or one writev(2) for an array, so that a device taking one
 * message per write gets the parts as one message. Returns the bytes
 * written (a pipe or socket may take fewer), or null when the fd cannot
 * take any now (EAGAIN).
 * @throws EBADF, EPIPE, EINVAL, ENOENT (/dev/fuse: no such request) and the other errors of write(2);
 *   ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE (more than 1024 parts) for bad arguments
 */
export function writeNonBlocking(fd: number | FdHandle, data: Uint8Array | readonly Uint8Array[]): number | null {
  const n = fdNumber(fd);
  if (Array.isArray(data)) {
    if (data.length > 1024) throw outOfRange('data.length', '<= 1024 (IOV_MAX)', data.length);
    data.forEach((part, i) => {
      if (!(part instanceof Uint8Array)) throw invalidArgType(`data[${i}]`, 'an instance of Uint8Array', part);
    });
  } else if (!(data instanceof Uint8Array)) {
    throw invalidArgType('data', 'an instance of Uint8Array or an array of them', data);
  }
  const wrote = native.write(n, data as Uint8Array | readonly Uint8Array[]);
  return wrote < 0 ? null : wrote;
}
