// receiveFile: zero-copy transfer from a socket into a file with splice(2)
// through a pipe, driven by the event loop; the upload side of sendFile.
// The socket must not be owned by a net.Socket while this runs (one watcher
// per fd), and the file must not be open with O_APPEND (splice refuses it:
// pass the end of the file as `start` instead).
import { native } from '../native.js';
import { checkFd, checkInteger, errnoError } from '../errors.js';
import { TransferPump, type PumpOptions } from './transfer-pump.js';

export interface ReceiveFileOptions extends PumpOptions {
  /** Where in the file the first byte goes (default 0). */
  start?: number;
}

// Bytes per splice and the pipe's size. Each chunk is copied once, from the
// socket's pages into the page cache: a chunk and its copy must stay in the
// CPU's cache. At 1 MiB they did not, so copying slowed, the socket's queue
// grew (and went cold) while the copy ran, and an upload could stay at a
// quarter of its speed and four times the CPU for its whole length.
const CHUNK = 256 << 10;

/**
 * Moves everything the peer sends, until it closes its side, into the file
 * at `start`; resolves to the number of bytes written.
 * @throws ECONNRESET (the peer broke the connection), ENOSPC/EDQUOT/EFBIG (the file), EINVAL (O_APPEND), AbortError
 */
export async function receiveFile(socketFd: number, fileFd: number, options: ReceiveFileOptions = {}): Promise<number> {
  checkFd('socketFd', socketFd);
  checkFd('fileFd', fileFd);
  let offset = checkInteger('start', options.start ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const pump = new TransferPump(socketFd, native.UV_READABLE, options);
  const [pipeRead, pipeWrite] = native.pipe2(CHUNK);
  try {
    for (;;) {
      const n = native.splice(socketFd, -1, pipeWrite, -1, await pump.allowance(CHUNK));
      if (n === 0) break;
      if (n < 0) {
        await pump.ready();
        continue;
      }
      // The pipe now holds n bytes: all of them go to the file.
      for (let left = n; left > 0; ) {
        const m = native.splice(pipeRead, -1, fileFd, offset, left);
        if (m <= 0) throw errnoError('EIO', 'splice');
        offset += m;
        left -= m;
      }
      await pump.advance(n);
    }
    return pump.moved;
  } finally {
    pump.close();
    native.close(pipeRead);
    native.close(pipeWrite);
  }
}
