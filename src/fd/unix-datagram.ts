// A unix datagram socket connected to one address (a syslog daemon's
// /dev/log): each write is one datagram. Node's dgram module has no unix
// sockets, so the socket comes from the addon.
import { native } from '../native.js';
import { errnoError } from '../errors.js';
import { FdHandle } from './fd-handle.js';
import { parseAddress } from './unix.js';

/**
 * A non-blocking, close-on-exec datagram socket connected to `address` (a
 * path, or an abstract name starting with "\0"). Write datagrams with
 * `writeNonBlocking` or `fs.writeSync`; a full receiver gives EAGAIN.
 * @throws ENOENT, ECONNREFUSED, EACCES, EPROTOTYPE (not a datagram socket)
 */
export function connectUnixDatagram(address: string): FdHandle {
  const { path, abstract } = parseAddress(address);
  const fd = native.unixSocket(native.SOCK_DGRAM);
  try {
    if (!native.connectUnix(fd, path, abstract)) throw errnoError('EAGAIN', 'connect', { path: address });
  } catch (err) {
    native.close(fd);
    throw err;
  }
  return new FdHandle(fd);
}
