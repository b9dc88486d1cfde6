// A unix datagram socket connected to one address (a syslog daemon's
// /dev/log), as a bare fd: each write is one datagram. DatagramSocket
// (datagram.ts) is the event-loop-driven form, with fds and credentials.
import { FdHandle } from './fd-handle.js';
import { openDatagramFd } from './datagram.js';

/**
 * A non-blocking, close-on-exec datagram socket connected to `address` (a
 * path, or an abstract name starting with "\0"). Write datagrams with
 * `writeNonBlocking` or `fs.writeSync`; a full receiver gives EAGAIN.
 * @throws ENOENT, ECONNREFUSED, EACCES, EPROTOTYPE (not a datagram socket)
 */
export function connectUnixDatagram(address: string): FdHandle {
  return new FdHandle(openDatagramFd(undefined, address));
}
