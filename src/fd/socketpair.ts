// socketpair(2) for unix stream and seqpacket sockets.
import { native } from '../native.js';
import { invalidArgType } from '../errors.js';
import { FdHandle } from './fd-handle.js';

export type UnixSocketType = 'stream' | 'seqpacket';

/** The socket type constant for a UnixSocketType. @throws ERR_INVALID_ARG_TYPE */
export function socketTypeOf(type: UnixSocketType): number {
  if (type === 'stream') return native.SOCK_STREAM;
  if (type === 'seqpacket') return native.SOCK_SEQPACKET;
  throw invalidArgType('type', "'stream' or 'seqpacket'", type);
}

/**
 * Two connected unix sockets, non-blocking and close-on-exec, each owned by
 * an FdHandle. Give one to a child (as fd 3, say) and wrap the other in a Channel.
 * @throws EMFILE, ENFILE
 */
export function socketPair(type: UnixSocketType = 'stream'): [FdHandle, FdHandle] {
  const [a, b] = native.socketpair(socketTypeOf(type));
  return [new FdHandle(a), new FdHandle(b)];
}
