// Detaching a connection from a net.Socket without closing it: the fd goes on
// (to another process, say) together with the bytes Node had already read.
import type net from 'node:net';
import { FdHandle } from './fd-handle.js';
import { socketFd } from './socket-fd.js';

/** What {@link detachSocket} hands back. */
export interface DetachedSocket {
  /** A new fd for the same connection, close-on-exec; the caller owns it. */
  fd: FdHandle;
  /** Bytes Node had read from the connection that nobody consumed, in order. */
  unread: Buffer;
}

/**
 * Takes a connection out of a net.Socket, leaving the connection open.
 *
 * Reading stops at once; writes already made are flushed first, so nothing
 * the peer was promised is lost; bytes Node had read but not delivered are
 * returned. The socket is then destroyed, which closes only its own fd: the
 * connection lives on in the returned duplicate, and further bytes from the
 * peer wait in the kernel for whoever reads that fd next. Listeners the
 * caller added for 'data' should be removed first, or the bytes they were
 * given count as consumed.
 *
 * @throws TypeError (ERR_INVALID_ARG_TYPE) when `socket` is not a net.Socket;
 *   ChannelClosedError (ERR_PRIVSEP_CHANNEL_CLOSED) when it is already closed;
 *   the write error when a pending write fails; EMFILE from the dup
 */
export async function detachSocket(socket: net.Socket): Promise<DetachedSocket> {
  socketFd(socket);
  socket.pause();
  // pause() alone lets Node keep reading into its buffer up to the high water mark.
  (socket as unknown as { _handle?: { readStop?: () => number } | null })._handle?.readStop?.();
  if (socket.writableLength > 0) {
    await new Promise<void>((resolve, reject) => {
      socket.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  const fd = socketFd(socket);
  const unread: Buffer[] = [];
  while (socket.readableLength > 0) {
    const chunk = socket.read() as Buffer | string | null;
    if (chunk === null) break;
    unread.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  const borrowed = new FdHandle(fd);
  let copy: FdHandle;
  try {
    copy = borrowed.dup();
  } finally {
    borrowed.release();
  }
  socket.destroy();
  return { fd: copy, unread: Buffer.concat(unread) };
}
