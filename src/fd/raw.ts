// Raw fd passing for peers that do not speak the Channel framing, such as a
// C helper or fusermount3: one sendmsg/recvmsg of bytes plus fds.
import { native } from '../native.js';
import { checkFd, outOfRange } from '../errors.js';
import { FdHandle } from './fd-handle.js';
import { MAX_FDS_PER_MESSAGE } from './frame-reader.js';
import { type Sendable, fdOf } from './sendable.js';
import { whenReady } from './fd-poller.js';

export interface RawMessage {
  /** The bytes of this one recvmsg (a stream socket may have merged or split the sender's writes). */
  data: Buffer;
  /** The fds that came with them; the caller owns them. */
  fds: FdHandle[];
}

/**
 * Waits until `fd` is readable and does one recvmsg; resolves with the bytes
 * and fds it got. Resolves with empty data and no fds at end of stream.
 * @throws ERR_PRIVSEP_FDS_TRUNCATED, EBADF, ENOTSOCK; AbortError; ETIMEDOUT after timeoutMs
 */
export function receiveRaw(fd: number | FdHandle, options: { maxBytes?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<RawMessage> {
  const socket = typeof fd === 'number' ? checkFd('fd', fd) : fd.fd;
  const buffer = Buffer.allocUnsafe(options.maxBytes ?? 65536);
  const fdsOut = new Int32Array(MAX_FDS_PER_MESSAGE);
  const info = new Int32Array(2);
  native.setNonBlocking(socket, true);
  return whenReady(socket, 'readable', () => {
    // minSpace = the whole buffer: exactly one recvmsg.
    const n = native.recvmsg(socket, buffer, 0, buffer.length, fdsOut, info);
    const fds = Array.from(fdsOut.subarray(0, info[0]!), (f) => new FdHandle(f));
    if (n === 0 && fds.length === 0 && info[1] === 0) return undefined; // nothing yet: wait on
    return { data: Buffer.from(buffer.subarray(0, n)), fds };
  }, { ...options, syscall: 'recvmsg' });
}

/**
 * One sendmsg of `data` with `fds` attached, waiting while the socket buffer
 * is full. Resolves to the bytes sent (a stream socket may take fewer).
 * @throws EBADF, EPIPE, ENOTSOCK; ERR_OUT_OF_RANGE for more than 253 fds
 */
export function sendRaw(fd: number | FdHandle, data: Uint8Array, fds: readonly Sendable[] = []): Promise<number> {
  const socket = typeof fd === 'number' ? checkFd('fd', fd) : fd.fd;
  if (fds.length > MAX_FDS_PER_MESSAGE) return Promise.reject(outOfRange('fds.length', `<= ${MAX_FDS_PER_MESSAGE}`, fds.length));
  const buffers = [Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
  const numbers = fds.map((f, i) => fdOf(f, `fds[${i}]`));
  return whenReady(socket, 'writable', () => {
    const n = native.sendmsg(socket, buffers, numbers.length > 0 ? numbers : null);
    return n >= 0 ? n : undefined;
  });
}
