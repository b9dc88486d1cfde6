// receiveFile: zero-copy transfer from a socket into a file with splice(2)
// through a pipe, driven by the event loop; the upload side of sendFile.
// The socket must not be owned by a net.Socket while this runs (one watcher
// per fd), and the file must not be open with O_APPEND (splice refuses it:
// pass the end of the file as `start` instead).
import { native, type NativeFdWatcher } from '../native.js';
import { checkFd, checkInteger } from '../errors.js';

export interface ReceiveFileOptions {
  /** Where in the file the first byte goes (default 0). */
  start?: number;
  /** See SendFileOptions.pace: resolves to how many bytes may come now. */
  pace?: (wanted: number) => number | Promise<number>;
  /** Aborts the transfer: it rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called after every chunk with the total so far. */
  onProgress?: (received: number) => void;
}

const CHUNK = 1 << 20;
// A fast peer could keep the loop busy for a whole file: let the event loop
// (other sessions of the same process) run after this many bytes.
const YIELD_EVERY = 16 << 20;

/**
 * Moves everything the peer sends, until it closes its side, into the file
 * at `start`; resolves to the number of bytes written.
 * @throws ECONNRESET (the peer broke the connection), ENOSPC/EDQUOT/EFBIG (the file), EINVAL (O_APPEND), AbortError
 */
export async function receiveFile(socketFd: number, fileFd: number, options: ReceiveFileOptions = {}): Promise<number> {
  checkFd('socketFd', socketFd);
  checkFd('fileFd', fileFd);
  let offset = checkInteger('start', options.start ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const start = offset;
  native.setNonBlocking(socketFd, true);
  const [pipeRead, pipeWrite] = native.pipe2(CHUNK);
  let watcher: NativeFdWatcher | null = null;
  let wake: (() => void) | null = null;
  let armed = false;
  let sinceYield = 0;
  let failure: Error | null = null;
  const onAbort = (): void => {
    failure = Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
    wake?.();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) onAbort();
    while (!failure) {
      let want = CHUNK;
      if (options.pace) {
        if (armed) {
          watcher!.stop();
          armed = false;
        }
        want = Math.max(1, Math.min(want, await options.pace(want)));
      }
      if (failure) break;
      const n = native.splice(socketFd, -1, pipeWrite, -1, want);
      if (n === 0) break;
      if (n < 0) {
        // The watcher stays armed between waits (starting and stopping it
      // around each would cost two epoll_ctl calls), except while a pacer
      // holds the transfer back: readiness would then fire in a loop.
      watcher ??= new native.FdWatcher(socketFd, (err) => {
        if (err) failure = err;
        wake?.();
      });
      if (!armed) {
        watcher.start(native.UV_READABLE);
        armed = true;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
        continue;
      }
      // The pipe now holds n bytes: all of them go to the file.
      for (let left = n; left > 0; ) {
        const m = native.splice(pipeRead, -1, fileFd, offset, left);
        if (m <= 0) throw Object.assign(new Error('EIO: i/o error, splice'), { code: 'EIO', errno: -5, syscall: 'splice' });
        offset += m;
        left -= m;
      }
      options.onProgress?.(offset - start);
      sinceYield += n;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (failure) throw failure;
    return offset - start;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    native.close(pipeRead);
    native.close(pipeWrite);
  }
}
