// Socket options that Node's net module does not expose: SO_OOBINLINE for
// any socket, TCP_NODELAY for a raw socket fd.
import type net from 'node:net';
import { native } from '../native.js';
import { checkFd } from '../errors.js';
import { socketFd } from './socket-fd.js';

/**
 * Turns SO_OOBINLINE on or off: with it on, TCP urgent data stays in the
 * ordinary byte stream instead of being pulled out of it. An FTP server
 * needs it on the control connection, where clients send ABOR (or the
 * Telnet Synch before it) as urgent data; Node never reads urgent data.
 * @param socket a net.Socket or a socket fd
 * @throws ENOTSOCK, EBADF; ERR_INVALID_ARG_TYPE; ERR_PRIVSEP_CHANNEL_CLOSED for a closed net.Socket
 */
export function setOobInline(socket: net.Socket | number, on = true): void {
  const fd = typeof socket === 'number' ? checkFd('socket', socket) : socketFd(socket);
  native.setOobInline(fd, on);
}

/**
 * Turns TCP_NODELAY on or off for a raw socket fd (a net.Socket has
 * setNoDelay): with it on, a short last write goes out at once instead of
 * waiting for the peer's ACK, which a delayed ACK can hold back for tens
 * of milliseconds.
 * @param socket a TCP socket fd
 * @throws ENOTSOCK, EOPNOTSUPP (not TCP), EBADF; ERR_INVALID_ARG_TYPE
 */
export function setTcpNoDelay(socket: number, on = true): void {
  native.setTcpNoDelay(checkFd('socket', socket), on);
}
