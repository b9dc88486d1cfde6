// What can be sent as an fd, and how to find (and optionally close) the
// sender's copy of each kind.
import net from 'node:net';
import type { FileHandle } from 'node:fs/promises';
import { FdHandle } from './fd-handle.js';
import { native } from '../native.js';
import { checkFd, errnoError, invalidArgType } from '../errors.js';

/** Anything whose fd can travel in a message. */
export type Sendable = number | FdHandle | net.Socket | net.Server | FileHandle;

interface HandleWithFd {
  _handle?: { fd?: number } | null;
}

function isFileHandle(value: object): value is FileHandle {
  return typeof (value as FileHandle).fd === 'number' && typeof (value as FileHandle).readFile === 'function';
}

/** The fd number behind a Sendable. @throws ERR_INVALID_ARG_TYPE, or EBADF when it has none */
export function fdOf(value: Sendable, name = 'fd'): number {
  if (typeof value === 'number') return checkFd(name, value);
  if (value instanceof FdHandle) return value.fd;
  if (value instanceof net.Socket || value instanceof net.Server) {
    const fd = (value as unknown as HandleWithFd)._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      // The socket was closed: as sendmsg would say of a closed fd.
      throw errnoError('EBADF', 'sendmsg');
    }
    return fd;
  }
  if (typeof value === 'object' && value !== null && isFileHandle(value)) return checkFd(name, value.fd);
  throw invalidArgType(name, 'a file descriptor, FdHandle, net.Socket, net.Server or FileHandle', value);
}

/** Closes the sender's copy of a Sendable after it was sent. */
export async function closeSent(value: Sendable): Promise<void> {
  if (typeof value === 'number') native.close(value);
  else if (value instanceof FdHandle) value.close();
  else if (value instanceof net.Socket) value.destroy();
  else if (value instanceof net.Server) await new Promise<void>((resolve) => value.close(() => resolve()));
  else await value.close();
}

/** Closes the sender's copies once a message carrying them was sent. */
export async function closeAll(sendables: readonly Sendable[]): Promise<void> {
  for (const sendable of sendables) await closeSent(sendable);
}
