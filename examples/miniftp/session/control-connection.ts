// The control connection's transport: bytes in, one command line at a time
// out (4 KiB cap, Telnet sequences handled by examples/ftp's splitter),
// replies written in order, bounded buffers both ways, one close path, and
// detaching the connection for a hand-over. Runs in a worker.
import type net from 'node:net';
import { detachSocket, setOobInline, type FdHandle } from 'privsep';
import { CommandLineSplitter, formatReply, normalizeAddress, type FramedLine } from '../../ftp/index.js';

const LF = 0x0a;
// Unread input beyond this pauses reading until commands consume it.
const READ_HIGH_WATER = 64 * 1024;
// Replies the client has not read beyond this hold back further commands.
const WRITE_HIGH_WATER = 256 * 1024;
// How long a closing connection waits for the client to read its last reply.
const CLOSE_GRACE_MS = 5000;

/** Where a {@link ControlConnection} reports. */
export interface ControlEvents {
  /** New bytes arrived, or the client closed its side: lines may be ready. */
  input(): void;
  /** The connection is gone (reset, error, or closed by either side). */
  closed(error: Error | null): void;
}

/** What {@link ControlConnection.detach} hands back. */
export interface DetachedControl {
  fd: FdHandle;
  /** Every byte received and not yet handled, in wire form. */
  unread: Buffer;
  /** The splitter's flags for the line in progress, which `unread` starts with. */
  splitter: { discarding: boolean; interrupted: boolean };
}

/** Options of a {@link ControlConnection}. */
export interface ControlOptions {
  maxLineBytes: number;
  /** Bytes a previous process received and did not handle; read before the socket. */
  unread?: Buffer;
  splitter?: { discarding: boolean; interrupted: boolean };
}

/**
 * One control connection. Lines are cut only when the session asks for the
 * next one, so bytes after a PASS line stay raw until the session decides
 * whether to hand the connection over.
 */
export class ControlConnection {
  readonly socket: net.Socket;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly #events: ControlEvents;
  readonly #splitter: CommandLineSplitter;
  #raw: Buffer[] = [];
  #rawBytes = 0;
  #eof = false;
  #closed = false;
  #detached = false;
  #pendingWrites = 0;
  #flushWaiters: Array<() => void> = [];
  #closeTimer: NodeJS.Timeout | null = null;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.socket.uncork();
  };
  readonly #onData = (chunk: Buffer): void => {
    this.#raw.push(chunk);
    this.#rawBytes += chunk.length;
    if (this.#rawBytes > READ_HIGH_WATER) this.socket.pause();
    this.#events.input();
  };
  readonly #onEnd = (): void => {
    this.#eof = true;
    this.#events.input();
  };
  readonly #onError = (): void => {
    // 'close' follows with hadError; the error itself needs no handling here.
  };
  readonly #onClose = (hadError: boolean): void => this.#gone(hadError ? new Error('control connection lost') : null);

  constructor(socket: net.Socket, events: ControlEvents, options: ControlOptions) {
    this.socket = socket;
    this.#events = events;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '') ?? socket.remoteAddress ?? '';
    this.localAddress = normalizeAddress(socket.localAddress ?? '') ?? socket.localAddress ?? '';
    this.#splitter = new CommandLineSplitter({
      maxLineBytes: options.maxLineBytes,
      state: { partial: Buffer.alloc(0), discarding: options.splitter?.discarding ?? false, interrupted: options.splitter?.interrupted ?? false },
    });
    if (options.unread && options.unread.length > 0) {
      this.#raw.push(options.unread);
      this.#rawBytes = options.unread.length;
    }
    // The client may send its last commands and close its side at once: replies still go out.
    socket.allowHalfOpen = true;
    // Each reply is one small write the client waits for: never hold it back for an ACK (Nagle).
    socket.setNoDelay(true);
    try {
      setOobInline(socket);
    } catch {
      // Not a TCP socket (a test's socketpair): there is no urgent data to keep inline.
    }
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    if (socket.destroyed) queueMicrotask(() => this.#gone(null));
  }

  /** The client closed its side and every line it sent has been taken. */
  get ended(): boolean {
    return (this.#eof && this.#rawBytes === 0) || this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Replies are piling up unread: hold back further commands until {@link writable}. */
  get congested(): boolean {
    return this.socket.writableLength > WRITE_HIGH_WATER;
  }

  /** Resolves once the reply backlog has drained (or the connection is gone). */
  writable(): Promise<void> {
    if (!this.congested || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * The next complete command line (or a line the splitter refused), or
   * null when none has arrived yet.
   */
  nextLine(): FramedLine | null {
    while (this.#raw.length > 0) {
      const head = this.#raw[0]!;
      const lf = head.indexOf(LF);
      let piece: Buffer;
      if (lf === -1 || lf === head.length - 1) {
        piece = head;
        this.#raw.shift();
      } else {
        piece = head.subarray(0, lf + 1);
        this.#raw[0] = head.subarray(lf + 1);
      }
      this.#rawBytes -= piece.length;
      if (this.#rawBytes <= READ_HIGH_WATER / 2 && this.socket.isPaused() && !this.#detached && !this.#closed) this.socket.resume();
      // A piece holds at most one line end, so at most one line comes out.
      const [line] = this.#splitter.push(piece);
      if (line) return line;
    }
    return null;
  }

  /** Sends one reply (several lines when `text` is an array). Nothing once closed. */
  reply(code: number, text: string | readonly string[]): void {
    if (this.#closed || this.#detached) return;
    // Replies given in one turn of the event loop (a transfer's 150 and 226,
    // answers to pipelined commands) leave in one write.
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#pendingWrites++;
    this.socket.write(formatReply(code, text), () => {
      if (--this.#pendingWrites === 0) for (const wake of this.#flushWaiters.splice(0)) wake();
    });
  }

  /** Resolves when every reply so far is with the kernel (or the connection is gone). */
  flushed(): Promise<void> {
    if (this.#pendingWrites === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  /**
   * Closes the connection after the replies sent so far (and `last`, when
   * given) have gone out: FIN, then a bounded wait for the client to close
   * its side. Resolves when the socket is closed.
   */
  close(last?: { code: number; text: string }): Promise<void> {
    if (last) this.reply(last.code, last.text);
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      this.#closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    });
  }

  /** Closes at once, dropping unsent replies. Resolves when the socket is closed. */
  destroy(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  /**
   * Detaches the connection for a hand-over: reading stops, the replies
   * sent so far are flushed, and the fd comes out of the socket without
   * closing the connection, together with every byte received and not yet
   * handled (the splitter's line in progress first). Resolves to null,
   * leaving the connection attached with reading paused, when more than
   * `maxUnread` bytes wait.
   * @throws Error when the connection closed meanwhile; EMFILE
   */
  async detach(maxUnread = Infinity): Promise<DetachedControl | null> {
    this.#detached = true;
    this.socket.pause();
    await this.flushed();
    if (this.#closed || this.socket.destroyed) throw new Error('the connection closed before the hand-over');
    // Nothing is read between this count and detachSocket's: no I/O runs in between.
    if (this.#splitter.pendingBytes + this.#rawBytes + this.socket.readableLength > maxUnread) {
      this.#detached = false;
      return null;
    }
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onClose);
    const { partial, discarding, interrupted } = this.#splitter.takeState();
    const taken = [partial, ...this.#raw];
    this.#raw = [];
    this.#rawBytes = 0;
    const { fd, unread } = await detachSocket(this.socket);
    this.#closed = true;
    return { fd, unread: Buffer.concat([...taken, unread]), splitter: { discarding, interrupted } };
  }

  #gone(error: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    for (const wake of this.#flushWaiters.splice(0)) wake();
    this.#events.closed(error);
  }
}
