// A passive data connection held as a raw fd instead of a net.Socket, so
// that a download can be spliced from the socket into a file, and an upload
// sent from a file with sendfile(2), without their bytes passing through
// JavaScript. Unprivileged client code.
import { connectTcp, receiveFile, sendFile, type FdHandle } from 'privsep';
import { FtpTimeoutError } from './errors.js';

/** The connected data socket; `destroy` may come while a transfer runs. */
export class RawDataSocket {
  readonly #handle: FdHandle;
  readonly #abort = new AbortController();
  #reason: Error | null = null;
  #busy = false;

  constructor(handle: FdHandle) {
    this.#handle = handle;
  }

  /**
   * Moves everything the server sends into `file` at `start`, until it
   * closes the connection; the data socket's fd is closed afterwards
   * (`file` stays the caller's, and is not written to once this settles).
   * @param onProgress the bytes written to the file so far
   * @throws the reason given to destroy(); ECONNRESET; local write errors
   */
  receiveFile(file: FdHandle, start: number, onProgress: (bytes: number) => void): Promise<number> {
    return this.#move((socket, signal) => receiveFile(socket, file.fd, { start, onProgress, signal }));
  }

  /**
   * Sends the first `length` bytes of `file` (fewer if it is shorter), then
   * closes the data socket's fd: the end of the file for the server. `file`
   * stays the caller's.
   * @param onProgress the bytes sent so far
   * @throws the reason given to destroy(); EPIPE, ECONNRESET; local read errors
   */
  sendFile(file: FdHandle, length: number, onProgress: (bytes: number) => void): Promise<number> {
    return this.#move((socket, signal) => sendFile(socket, file.fd, { start: 0, length, onProgress, signal }));
  }

  /** Runs the one transfer of this socket; its fd is closed afterwards. */
  async #move(transfer: (socket: number, signal: AbortSignal) => Promise<number>): Promise<number> {
    if (this.#reason) throw this.#reason;
    this.#busy = true;
    try {
      return await transfer(this.#handle.fd, this.#abort.signal);
    } catch (err) {
      throw this.#reason ?? err;
    } finally {
      this.#busy = false;
      this.#handle.close();
    }
  }

  /** Ends the transfer with `err`; the fd closes once the splice loop has stopped watching it. */
  destroy(err?: Error): void {
    this.#reason ??= err ?? new Error('the data connection was closed');
    this.#abort.abort();
    if (!this.#busy) this.#handle.close();
  }
}

/**
 * Connects to the server's passive port, as a raw fd.
 * @throws FtpTimeoutError (ETIMEDOUT); ECONNREFUSED, ...
 */
export function connectRaw(host: string, port: number, timeoutMs: number): { socket: () => Promise<RawDataSocket>; close: () => void } {
  const abort = new AbortController();
  let socket: RawDataSocket | null = null;
  const connected = connectTcp({ host, port, timeoutMs, signal: abort.signal }).then((handle) => {
    socket = new RawDataSocket(handle);
    if (abort.signal.aborted) socket.destroy();
    return socket;
  }, (err: NodeJS.ErrnoException) => {
    throw err.code === 'ETIMEDOUT' ? new FtpTimeoutError(`data connection to ${host}:${port} not made within ${timeoutMs} ms`) : err;
  });
  connected.catch(() => {});
  return {
    socket: () => connected,
    close: () => {
      abort.abort();
      socket?.destroy();
    },
  };
}
