// FdHandle: the single owner of one open file descriptor, and its
// conversions into Node objects (net.Socket, net.Server, fs streams).
import fs from 'node:fs';
import net from 'node:net';
import { native } from '../native.js';
import { ChannelClosedError, checkFd } from '../errors.js';

/** Which kind of object an fd refers to, from fstat. */
export type FdKind = 'file' | 'directory' | 'fifo' | 'socket' | 'character-device' | 'block-device' | 'symlink' | 'unknown';

export class FdHandle {
  #fd: number;

  /**
   * Takes ownership of `fd`: from now on this object closes it.
   * @throws TypeError/RangeError (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE) for a bad number
   */
  constructor(fd: number) {
    this.#fd = checkFd('fd', fd);
  }

  /** The fd number. @throws ChannelClosedError (ERR_PRIVSEP_CHANNEL_CLOSED) once closed or released */
  get fd(): number {
    if (this.#fd < 0) throw new ChannelClosedError('fd handle is closed or released');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd; a second call does nothing. @throws system errors of close(2) */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    native.close(fd);
  }

  /** Gives up ownership and returns the number; the caller must close it. */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    return fd;
  }

  /** A new handle on the same open file (shared offset), close-on-exec. @throws EBADF, EMFILE */
  dup(): FdHandle {
    return new FdHandle(native.dup(this.fd));
  }

  /** fstat of the fd. */
  stat(): fs.Stats {
    return fs.fstatSync(this.fd);
  }

  kind(): FdKind {
    const st = this.stat();
    if (st.isFile()) return 'file';
    if (st.isDirectory()) return 'directory';
    if (st.isFIFO()) return 'fifo';
    if (st.isSocket()) return 'socket';
    if (st.isCharacterDevice()) return 'character-device';
    if (st.isBlockDevice()) return 'block-device';
    if (st.isSymbolicLink()) return 'symlink';
    return 'unknown';
  }

  /** Reads at `position` (or the current offset when null); resolves to the byte count. */
  read(buffer: Uint8Array, position: number | null = null): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buffer, 0, buffer.byteLength, position, (err, n) => (err ? reject(err) : resolve(n)));
    });
  }

  /** Writes all of `data` at `position` (or the current offset when null). */
  async write(data: Uint8Array | string, position: number | null = null): Promise<number> {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    let done = 0;
    while (done < buffer.byteLength) {
      const at = position === null ? null : position + done;
      done += await new Promise<number>((resolve, reject) => {
        fs.write(this.fd, buffer, done, buffer.byteLength - done, at, (err, n) => (err ? reject(err) : resolve(n)));
      });
    }
    return done;
  }

  /**
   * Turns a socket or pipe fd into a net.Socket, which then owns it.
   * @throws ERR_INVALID_FD_TYPE when the fd is not a socket or pipe
   */
  toSocket(options: { readable?: boolean; writable?: boolean; allowHalfOpen?: boolean } = {}): net.Socket {
    const socket = new net.Socket({
      fd: this.fd,
      readable: options.readable ?? true,
      writable: options.writable ?? true,
      allowHalfOpen: options.allowHalfOpen ?? false,
    });
    this.#fd = -1;
    return socket;
  }

  /** Turns a listening socket fd into a listening net.Server, which then owns it. */
  toServer(options: net.ServerOpts = {}): Promise<net.Server> {
    const fd = this.release();
    const server = net.createServer(options);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        native.close(fd);
        reject(err);
      };
      server.once('error', onError);
      server.listen({ fd }, () => {
        server.off('error', onError);
        resolve(server);
      });
    });
  }

  /** A read stream that owns the fd from now on (it closes it at the end). */
  createReadStream(options: { start?: number; end?: number; highWaterMark?: number } = {}): fs.ReadStream {
    return fs.createReadStream('', { ...options, fd: this.release(), autoClose: true });
  }

  /** A write stream that owns the fd from now on. */
  createWriteStream(options: { start?: number } = {}): fs.WriteStream {
    return fs.createWriteStream('', { ...options, fd: this.release(), autoClose: true });
  }
}
