// Raw fd passing for peers that do not speak the Channel framing, such as a
// C helper or fusermount3: one sendmsg/recvmsg of bytes plus fds.
import { native } from '../native.js';
import { checkFd, outOfRange } from '../errors.js';
import { FdHandle } from './fd-handle.js';
import { MAX_FDS_PER_MESSAGE } from './frame-reader.js';
import { type Sendable, fdOf } from './sendable.js';

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
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, message?: RawMessage): void => {
      watcher.close();
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(message!);
    };
    const onAbort = (): void => finish(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
    const attempt = (err: Error | null): void => {
      if (err) return finish(err);
      let n: number;
      try {
        // minSpace = the whole buffer: exactly one recvmsg.
        n = native.recvmsg(socket, buffer, 0, buffer.length, fdsOut, info);
      } catch (error) {
        return finish(error as Error);
      }
      const fds = Array.from(fdsOut.subarray(0, info[0]!), (f) => new FdHandle(f));
      if (n === 0 && fds.length === 0 && info[1] === 0) return; // spurious wake-up: wait on
      finish(null, { data: Buffer.from(buffer.subarray(0, n)), fds });
    };
    const watcher = new native.FdWatcher(socket, attempt);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => finish(Object.assign(new Error('ETIMEDOUT: connection timed out, recvmsg'), { code: 'ETIMEDOUT', errno: -110, syscall: 'recvmsg' })), options.timeoutMs);
    }
    watcher.start(native.UV_READABLE);
  });
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
  return new Promise((resolve, reject) => {
    let watcher: InstanceType<typeof native.FdWatcher> | null = null;
    const attempt = (err: Error | null): void => {
      let n: number;
      try {
        if (err) throw err;
        n = native.sendmsg(socket, buffers, numbers.length > 0 ? numbers : null);
      } catch (error) {
        watcher?.close();
        return reject(error);
      }
      if (n >= 0) {
        watcher?.close();
        return resolve(n);
      }
      if (!watcher) {
        watcher = new native.FdWatcher(socket, attempt);
        watcher.start(native.UV_WRITABLE);
      }
    };
    attempt(null);
  });
}

