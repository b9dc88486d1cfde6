// sendFile: zero-copy transfer of a file range to a socket with sendfile(2),
// driven by the event loop (the socket must not be owned by a net.Socket
// while this runs: one watcher per fd), optionally paced.
import { native } from '../native.js';
import { checkFd, checkInteger } from '../errors.js';

export interface SendFileOptions {
  /** First byte of the file to send (default 0). */
  start?: number;
  /** Bytes to send (default: to the end of the file). */
  length?: number;
  /**
   * Called before each chunk with its planned size; resolves to how many
   * bytes may go now (a rate limiter waits here). Default: all of them.
   */
  pace?: (wanted: number) => number | Promise<number>;
  /** Aborts the transfer: it rejects with an AbortError and sends nothing more. */
  signal?: AbortSignal;
  /** Called after every chunk with the total so far. */
  onProgress?: (sent: number) => void;
}

const CHUNK = 1 << 20;
// A fast peer could keep the loop busy for a whole file: let the event loop
// (other sessions of the same process) run after this many bytes.
const YIELD_EVERY = 16 << 20;

/**
 * Sends a file range to a non-blocking socket fd; resolves to the number of
 * bytes sent (less than asked only when the file is shorter).
 * @throws EPIPE/ECONNRESET when the peer goes away; AbortError when aborted
 */
export async function sendFile(socketFd: number, fileFd: number, options: SendFileOptions = {}): Promise<number> {
  checkFd('socketFd', socketFd);
  checkFd('fileFd', fileFd);
  let offset = checkInteger('start', options.start ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const end = options.length === undefined ? Infinity : offset + checkInteger('length', options.length, 0, Number.MAX_SAFE_INTEGER);
  const start = offset;
  native.setNonBlocking(socketFd, true);
  let watcher: InstanceType<typeof native.FdWatcher> | null = null;
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
    while (offset < end && !failure) {
      let want = Math.min(CHUNK, end - offset);
      if (options.pace) {
        if (armed) {
          watcher!.stop();
          armed = false;
        }
        want = Math.max(1, Math.min(want, await options.pace(want)));
      }
      if (failure) break;
      const n = native.sendfile(socketFd, fileFd, offset, want);
      if (n === 0) break;
      if (n > 0) {
        offset += n;
        options.onProgress?.(offset - start);
        sinceYield += n;
        if (sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
        continue;
      }
      // Socket buffer full: wait until it is writable again.
      // The watcher stays armed between waits (starting and stopping it
      // around each would cost two epoll_ctl calls), except while a pacer
      // holds the transfer back: readiness would then fire in a loop.
      watcher ??= new native.FdWatcher(socketFd, (err) => {
        if (err) failure = err;
        wake?.();
      });
      if (!armed) {
        watcher.start(native.UV_WRITABLE);
        armed = true;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
    if (failure) throw failure;
    return offset - start;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    watcher?.close();
  }
}
