// socketpair(2) for unix stream, seqpacket and datagram sockets.
import { native } from '../native.js';
import { invalidArgType, invalidArgValue } from '../errors.js';
import { FdHandle } from './fd-handle.js';

/** The kinds of unix socket a Channel runs on. */
export type UnixSocketType = 'stream' | 'seqpacket';

/** Every kind socketPair makes; a 'dgram' pair is for DatagramSocket. */
export type SocketPairType = UnixSocketType | 'dgram';

/** The socket type constant for a UnixSocketType. @throws ERR_INVALID_ARG_TYPE */
export function socketTypeOf(type: UnixSocketType): number {
  if (type === 'stream') return native.SOCK_STREAM;
  if (type === 'seqpacket') return native.SOCK_SEQPACKET;
  throw invalidArgType('type', "'stream' or 'seqpacket'", type);
}

/**
 * Two connected unix sockets, non-blocking and close-on-exec, each owned by
 * an FdHandle. Give one to a child (as fd 3, say) and wrap the other in a
 * Channel (stream, seqpacket) or a DatagramSocket (dgram).
 * @throws EMFILE, ENFILE; ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE for an unknown type
 */
export function socketPair(type: SocketPairType = 'stream'): [FdHandle, FdHandle] {
  if (typeof type !== 'string') throw invalidArgType('type', "'stream', 'seqpacket' or 'dgram'", type);
  if (type !== 'stream' && type !== 'seqpacket' && type !== 'dgram') {
    throw invalidArgValue('type', type, "must be 'stream', 'seqpacket' or 'dgram'");
  }
  const [a, b] = native.socketpair(type === 'dgram' ? native.SOCK_DGRAM : socketTypeOf(type));
  return [new FdHandle(a), new FdHandle(b)];
}
