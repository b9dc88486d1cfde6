// Channel: messages of bytes plus fds over a unix socket, with boundaries
// kept, driven by the event loop through one FdWatcher, with backpressure on
// both sides. Each received fd is owned by the message that carries it.
import { native, type NativePeerCred } from '../native.js';
import { ChannelClosedError, ProtocolError, checkInteger, errnoError, invalidArgType, isErrnoError, outOfRange } from '../errors.js';
import { FdHandle } from './fd-handle.js';
import { FrameReader, HEADER_BYTES, MAX_FDS_PER_MESSAGE, encodeHeader } from './frame-reader.js';
import { type Sendable, closeAll, fdOf } from './sendable.js';
import { CREDENTIAL_SLOTS, type PeerCredentials, readCredentials, statedCredentials } from './credentials.js';
import { CredentialRuns } from './credential-runs.js';
import { WatchedSocket } from './watched-socket.js';

/** A received message: the caller owns (and must close) every fd in it. */
export interface Message {
  data: Buffer;
  fds: FdHandle[];
  /**
   * With `credentials: true`: the sender's pid, uid and gid as the kernel
   * checked them (SCM_CREDENTIALS); null when the kernel has no pid to give
   * (a message sent before this end turned credentials on, or by a process
   * this pid namespace does not see).
   */
  credentials?: PeerCredentials | null;
}

export interface ChannelOptions {
  /** Largest payload accepted or sent, in bytes (default 64 MiB; 128 KiB on seqpacket sockets). */
  maxMessageBytes?: number;
  /** Received messages held for `receive()` before reading pauses (default 1024). */
  highWaterMark?: number;
  /** Give each received message the sender's credentials (SO_PASSCRED; default false). */
  credentials?: boolean;
}

export interface SendOptions {
  /** Close the sender's copies of the fds once the kernel took the message (default false: keep them). */
  closeAfterSend?: boolean;
  /**
   * Credentials to state instead of this process's own (SCM_CREDENTIALS);
   * fields left out are this process's. The kernel refuses with EPERM what
   * the sender may not claim: only root may state another uid or gid, only
   * CAP_SYS_ADMIN another pid.
   */
  credentials?: Partial<PeerCredentials>;
}

interface PendingSend {
  chunks: Buffer[];
  // The channel's own copies (dups) of the fds still to go: the caller's may be closed meanwhile.
  fds: number[] | null;
  sendables: Sendable[] | null;
  // Stays with every part of the message, so that no part goes with other credentials.
  cred: Int32Array | null;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SEQPACKET_MAX_BYTES = 128 * 1024;
const FDS_OUT_SLOTS = MAX_FDS_PER_MESSAGE * 4;
const MAX_IOV_PER_SEND = 64;
// Errors after which nothing more can be sent to the peer.
const FATAL_SEND_CODES = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN']);

export declare interface Channel {
  on(event: 'message', listener: (message: Message) => void): this;
  on(event: 'close', listener: (hadError: boolean) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'message', listener: (message: Message) => void): this;
  once(event: 'close', listener: (hadError: boolean) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

/**
 * A message channel over a connected unix stream or seqpacket socket. Send
 * with `send()`; receive with `receive()`, `for await`, or 'message' events
 * (when a 'message' listener exists, messages go to it instead of the queue).
 * Events: 'close' (hadError) once the socket is closed; 'error' only when
 * something listens for it, so a dead peer never crashes the process.
 * With `credentials: true` each message carries its sender's pid, uid and
 * gid (SCM_CREDENTIALS), and `send` may state credentials the kernel allows.
 */
export class Channel extends WatchedSocket<Message> {
  readonly #seqpacket: boolean;
  readonly #maxMessageBytes: number;
  readonly #reader: FrameReader;
  readonly #fdsOut = new Int32Array(FDS_OUT_SLOTS);
  readonly #recvInfo = new Int32Array(2);
  // With credentials on: the addon's [present, pid, uid, gid], and which bytes came with which.
  readonly #cred: Int32Array | undefined;
  readonly #credentialRuns: CredentialRuns | undefined;
  readonly #pendingFds: number[] = [];
  readonly #sends: PendingSend[] = [];

  /**
   * Takes ownership of a connected unix socket fd (for example fd 3 given by
   * a parent) and makes it non-blocking and close-on-exec.
   * @throws ENOTSOCK, EBADF; RangeError for a socket that is not stream or seqpacket
   */
  static fromFd(fd: number | FdHandle, options: ChannelOptions = {}): Channel {
    const number = fd instanceof FdHandle ? fd.release() : checkInteger('fd', fd, 0, 0x7fffffff);
    return new Channel(number, options);
  }

  /** Two connected channels on a fresh socketpair. */
  static pair(type: 'stream' | 'seqpacket' = 'stream', options: ChannelOptions = {}): [Channel, Channel] {
    const [a, b] = native.socketpair(type === 'seqpacket' ? native.SOCK_SEQPACKET : native.SOCK_STREAM);
    return [new Channel(a, options), new Channel(b, options)];
  }

  private constructor(fd: number, options: ChannelOptions) {
    let type: number;
    let seqpacket: boolean;
    let maxMessageBytes: number;
    let highWaterMark: number;
    try {
      type = native.getSocketType(fd);
      if (type !== native.SOCK_STREAM && type !== native.SOCK_SEQPACKET) {
        throw outOfRange('fd', 'a unix stream or seqpacket socket', `socket type ${type}`);
      }
      native.setNonBlocking(fd, true);
      native.setCloexec(fd, true);
      if (options.credentials !== undefined && typeof options.credentials !== 'boolean') {
        throw invalidArgType('options.credentials', 'of type boolean', options.credentials);
      }
      if (options.credentials) native.setPassCred(fd, true);
      seqpacket = type === native.SOCK_SEQPACKET;
      const limit = seqpacket ? SEQPACKET_MAX_BYTES : 64 * 1024 * 1024;
      maxMessageBytes = checkInteger('maxMessageBytes', options.maxMessageBytes ?? limit, 0, limit);
      highWaterMark = checkInteger('highWaterMark', options.highWaterMark ?? 1024, 1, 2 ** 30);
    } catch (err) {
      native.close(fd);
      throw err;
    }
    super(fd, { highWaterMark, endMessage: 'channel is closed: no more messages' });
    this.#seqpacket = seqpacket;
    this.#maxMessageBytes = maxMessageBytes;
    this.#reader = new FrameReader(this.#maxMessageBytes, this.#seqpacket ? 4 * SEQPACKET_MAX_BYTES : 256 * 1024);
    if (options.credentials) {
      this.#cred = new Int32Array(CREDENTIAL_SLOTS);
      this.#credentialRuns = new CredentialRuns();
    }
    this.updateWatch();
  }

  /**
   * pid, uid and gid of the peer process, as the kernel recorded them at
   * connect (SO_PEERCRED; effective ids). For those of each message's
   * sender, open the channel with `credentials: true`.
   */
  peerCredentials(): NativePeerCred {
    if (this.closed) throw new ChannelClosedError();
    return native.getPeerCred(this.fd);
  }

  /**
   * Sends one message: `data` bytes and `fds` (at most 253). Resolves when the
   * kernel has taken the whole message; the fds then travel even if this
   * process exits. The sender keeps its copies unless `closeAfterSend`; a
   * message that has to wait holds copies of its own, so the sender may close
   * its fds as soon as this returns (a number reused meanwhile never goes).
   * @throws ERR_PRIVSEP_CHANNEL_CLOSED; EBADF for a bad fd; EPIPE when the peer is gone;
   *   ERR_OUT_OF_RANGE for too many fds or bytes
   */
  send(data: Uint8Array | string = Buffer.alloc(0), fds: readonly Sendable[] = [], options: SendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new ChannelClosedError('cannot send: channel is closed', { cause: this.received.closeError ?? undefined }));
    let payload: Buffer;
    let fdNumbers: number[] | null;
    let cred: Int32Array | null;
    try {
      if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
      cred = options.credentials === undefined ? null : statedCredentials('options.credentials', options.credentials);
      payload = toBuffer(data);
      if (payload.length > this.#maxMessageBytes) throw outOfRange('data.length', `<= ${this.#maxMessageBytes}`, payload.length);
      if (!Array.isArray(fds)) throw invalidArgType('fds', 'an array', fds);
      if (fds.length > MAX_FDS_PER_MESSAGE) throw outOfRange('fds.length', `<= ${MAX_FDS_PER_MESSAGE}`, fds.length);
      fdNumbers = fds.length === 0 ? null : fds.map((fd, i) => fdOf(fd, `fds[${i}]`));
    } catch (err) {
      return Promise.reject(err);
    }
    const header = encodeHeader(payload.length, fds.length);
    const chunks = payload.length > 0 ? [header, payload] : [header];
    const sendables = options.closeAfterSend && fds.length > 0 ? [...fds] : null;
    if (this.#sends.length === 0) {
      let sent: number;
      try {
        sent = native.sendmsg(this.fd, chunks, fdNumbers, cred);
      } catch (err) {
        return Promise.reject(this.#sendFailed(err as Error));
      }
      const total = HEADER_BYTES + payload.length;
      if (sent === total) return sendables ? closeAll(sendables) : Promise.resolve();
      if (sent > 0) {
        advance(chunks, sent);
        fdNumbers = null;
      }
    }
    let own: number[] | null;
    try {
      own = fdNumbers && copies(fdNumbers);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#sends.push({ chunks, fds: own, sendables, cred, resolve, reject });
      this.updateWatch();
    });
  }

  protected wantsWritable(): boolean {
    return this.#sends.length > 0;
  }

  protected onWritable(): void {
    this.#flush();
  }

  protected onReadable(): void {
    this.#read();
  }

  #read(): void {
    const minSpace = this.#seqpacket ? HEADER_BYTES + this.#maxMessageBytes : 1;
    while (!this.closed && !this.received.full) {
      this.#reader.reserve(minSpace);
      let bytes: number;
      try {
        bytes = native.recvmsg(this.fd, this.#reader.buffer, this.#reader.end, minSpace, this.#fdsOut, this.#recvInfo, this.#cred);
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      this.#reader.commit(bytes);
      if (this.#cred) this.#credentialRuns!.add(bytes, readCredentials(this.#cred));
      for (let i = 0; i < this.#recvInfo[0]!; i++) this.#pendingFds.push(this.#fdsOut[i]!);
      const status = this.#recvInfo[1]!;
      try {
        this.#deliverFrames();
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (status === 1) {
        this.destroy(this.#reader.pendingBytes > 0
          ? new ProtocolError(`peer closed the channel in the middle of a message (${this.#reader.pendingBytes} bytes pending)`)
          : null);
        return;
      }
      if (status < 0) {
        this.destroy(errnoError(status, 'recvmsg'));
        return;
      }
      if (status === 0) break;
    }
    this.updateWatch();
  }

  #deliverFrames(): void {
    for (let frame = this.#reader.next(); frame !== null; frame = this.#reader.next()) {
      if (frame.fdCount > this.#pendingFds.length) {
        throw new ProtocolError(`message announces ${frame.fdCount} fds but ${this.#pendingFds.length} arrived`);
      }
      const credentials = this.#credentialRuns?.take(HEADER_BYTES + frame.data.length);
      const fds = this.#pendingFds.splice(0, frame.fdCount).map((fd) => new FdHandle(fd));
      const message: Message = credentials === undefined ? { data: frame.data, fds } : { data: frame.data, fds, credentials };
      this.received.deliver(message);
      if (this.closed) return;
    }
    if (this.#reader.pendingBytes === 0 && this.#pendingFds.length > 0) {
      throw new ProtocolError(`${this.#pendingFds.length} fds arrived without a message to carry them`);
    }
  }

  #flush(): void {
    while (this.#sends.length > 0 && !this.closed) {
      const batch = this.#gatherBatch();
      const first = batch[0]!;
      let sent: number;
      try {
        sent = native.sendmsg(this.fd, batch.flatMap((s) => s.chunks), first.fds, first.cred);
      } catch (err) {
        const error = this.#sendFailed(err as Error);
        if (this.closed) return;
        this.#sends.shift();
        closeCopies(first);
        first.reject(error);
        continue;
      }
      if (sent < 0) break;
      closeCopies(first);
      for (const entry of batch) {
        const size = byteLength(entry.chunks);
        if (sent < size) {
          advance(entry.chunks, sent);
          break;
        }
        sent -= size;
        this.#sends.shift();
        if (entry.sendables) closeAll(entry.sendables).then(entry.resolve, entry.reject);
        else entry.resolve();
      }
    }
    this.updateWatch();
  }

  // Consecutive messages go out in one sendmsg on a stream socket, as long as
  // only the first carries fds (the kernel attaches them to its first byte)
  // and all state the same credentials.
  #gatherBatch(): PendingSend[] {
    if (this.#seqpacket) return [this.#sends[0]!];
    const batch: PendingSend[] = [];
    let iov = 0;
    for (const entry of this.#sends) {
      if (batch.length > 0 && (entry.fds !== null || entry.cred !== batch[0]!.cred)) break;
      if (iov + entry.chunks.length > MAX_IOV_PER_SEND) break;
      batch.push(entry);
      iov += entry.chunks.length;
    }
    return batch;
  }

  // A send error either kills the channel (the peer is gone) or only that
  // message (a bad fd, too many fds in flight).
  #sendFailed(err: Error): Error {
    if (isErrnoError(err) && FATAL_SEND_CODES.has(err.code)) this.destroy(err);
    return err;
  }

  protected released(err: Error | null): void {
    this.#reader.release();
    for (const fd of this.#pendingFds.splice(0)) new FdHandle(fd).close();
    const sendError = err ?? new ChannelClosedError('channel closed before the message was sent');
    for (const entry of this.#sends.splice(0)) {
      closeCopies(entry);
      entry.reject(sendError);
    }
  }
}

// Copies of `fds` (close-on-exec), all or none. @throws EMFILE and the like
function copies(fds: readonly number[]): number[] {
  const made: number[] = [];
  try {
    for (const fd of fds) made.push(native.dup(fd));
  } catch (err) {
    for (const fd of made) native.close(fd);
    throw err;
  }
  return made;
}

// Once its fds went with its first byte, or it will never go.
function closeCopies(entry: PendingSend): void {
  for (const fd of entry.fds ?? []) native.close(fd);
  entry.fds = null;
}

/** @internal a payload as a Buffer, without a copy. @throws ERR_INVALID_ARG_TYPE */
export function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType('data', 'a string, Buffer or Uint8Array', data);
}

function byteLength(chunks: Buffer[]): number {
  let n = 0;
  for (const chunk of chunks) n += chunk.length;
  return n;
}

// Drops the first `n` bytes from a list of chunks, in place.
function advance(chunks: Buffer[], n: number): void {
  while (n > 0 && chunks.length > 0) {
    const first = chunks[0]!;
    if (first.length <= n) {
      n -= first.length;
      chunks.shift();
    } else {
      chunks[0] = first.subarray(n);
      n = 0;
    }
  }
}
