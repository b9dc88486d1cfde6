// The fd number inside a net.Socket, for the few socket operations Node does
// not offer (socket options, detaching the fd from the socket).
import type net from 'node:net';
import { ChannelClosedError, invalidArgType } from '../errors.js';

/**
 * The fd a connected net.Socket reads and writes (its libuv handle's fd).
 * @throws TypeError (ERR_INVALID_ARG_TYPE) when `socket` is not a net.Socket;
 *   ChannelClosedError (ERR_PRIVSEP_CHANNEL_CLOSED) when it has no open fd
 */
export function socketFd(socket: net.Socket): number {
  if (typeof socket !== 'object' || socket === null || typeof (socket as { pause?: unknown }).pause !== 'function') {
    throw invalidArgType('socket', 'an instance of net.Socket', socket);
  }
  // Node keeps the handle internal; its fd is stable API of TCP and Pipe wraps on Unix.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new ChannelClosedError('the socket has no open fd');
  return fd;
}
