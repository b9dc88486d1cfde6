// sendFile: zero-copy transfer of a file range to a socket with sendfile(2),
// driven by the event loop (the socket must not be owned by a net.Socket
// while this runs: one watcher per fd), optionally paced.
import { native } from '../native.js';
import { checkFd, checkInteger } from '../errors.js';
import { TransferPump, type PumpOptions } from './transfer-pump.js';

export interface SendFileOptions extends PumpOptions {
  /** First byte of the file to send (default 0). */
  start?: number;
  /** Bytes to send (default: to the end of the file). */
  length?: number;
}

const CHUNK = 1 << 20;

/**
 * Sends a file range to a socket fd; resolves to the number of bytes sent
 * (less than asked only when the file is shorter).
 * @throws EPIPE/ECONNRESET when the peer goes away; AbortError when aborted
 */
export async function sendFile(socketFd: number, fileFd: number, options: SendFileOptions = {}): Promise<number> {
  checkFd('socketFd', socketFd);
  checkFd('fileFd', fileFd);
  let offset = checkInteger('start', options.start ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const end = options.length === undefined ? Infinity : offset + checkInteger('length', options.length, 0, Number.MAX_SAFE_INTEGER);
  const pump = new TransferPump(socketFd, native.UV_WRITABLE, options);
  try {
    while (offset < end) {
      const n = native.sendfile(socketFd, fileFd, offset, await pump.allowance(Math.min(CHUNK, end - offset)));
      if (n === 0) break;
      if (n < 0) {
        await pump.ready();
        continue;
      }
      offset += n;
      await pump.advance(n);
    }
    return pump.moved;
  } finally {
    pump.close();
  }
}
