// The control connection of the FTP client: one TCP socket, replies cut out
// of the byte stream with caps, one command (or one pipelined group) at a
// time in a queue, a timeout on every exchange, and one close path.
// Unprivileged client code.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type tls from 'node:tls';
import { formatCommand, FtpError, ReplyCode, replyKind, ReplyParser, type Reply } from '../../ftp/index.js';
import { FtpClosedError, FtpTimeoutError, abortError } from './errors.js';
import { secureSocket, type FtpTlsOptions, type SecureTarget } from './tls.js';

/** Where to connect and how long to wait. */
export interface TransportOptions {
  host: string;
  port: number;
  /** Connecting, and each wait for a reply (or for data during a transfer). */
  timeoutMs: number;
  /** Caps of the reply parser (defaults 8 KiB per line, 64 KiB per reply). */
  maxLineBytes?: number;
  maxReplyBytes?: number;
  signal?: AbortSignal;
  /**
   * FTPS: explicit (AUTH TLS right after the greeting) or implicit (TLS
   * from the first byte). Default: plain FTP.
   */
  tls?: FtpTlsOptions | undefined;
}

/** How one command is sent. */
export interface RequestOptions {
  /** Called with each 1xx reply (125/150 before a transfer) before the final one. */
  onPreliminary?: (reply: Reply) => void;
  /** Overrides the transport's timeout for this exchange. */
  timeoutMs?: number;
}

interface Task {
  readonly label: string;
  readonly timeoutMs: number;
  readonly onPreliminary: ((reply: Reply) => void) | undefined;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** A 1xx reply came: the server has begun to act on the command. */
  begun: boolean;
}

/**
 * One FTP control connection. Commands go out one at a time, in the order
 * request() was called; each resolves with its final reply (whatever its
 * code: the caller decides what a failure means). Events: 'close' (once,
 * with the error that ended the connection, or null after close()).
 */
export class FtpTransport extends EventEmitter {
  #socket: net.Socket;
  readonly #parser: ReplyParser;
  readonly #timeoutMs: number;
  readonly #target: SecureTarget | null;
  /** The control connection's latest TLS session (TLS 1.3 tickets come after the handshake). */
  #session: Buffer | undefined;
  readonly #onSocketData = (chunk: Buffer): void => this.#onData(chunk);
  /** Commands sent, waiting for their final replies, in the order the server answers them. */
  readonly #tasks: Task[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #closedBy: Error | null = null;
  #closed = false;

  private constructor(socket: net.Socket, options: TransportOptions) {
    super();
    this.#socket = socket;
    this.#timeoutMs = options.timeoutMs;
    this.#target = options.tls ? { host: options.host, port: options.port, tls: options.tls, timeoutMs: options.timeoutMs } : null;
    this.#parser = new ReplyParser({ maxLineBytes: options.maxLineBytes, maxReplyBytes: options.maxReplyBytes });
    socket.setNoDelay(true);
    this.#attach(socket);
  }

  #attach(socket: net.Socket): void {
    socket.on('data', this.#onSocketData);
    socket.on('error', (err) => this.#shutdown(new FtpClosedError(`control connection failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.#shutdown(new FtpClosedError('the server closed the control connection')));
    if ('encrypted' in socket) {
      const secured = socket as tls.TLSSocket;
      // TLS 1.2 gives its session during the handshake, TLS 1.3 in tickets after it.
      this.#session = secured.getSession() ?? this.#session;
      secured.on('session', (session: Buffer) => (this.#session = session));
    }
  }

  /**
   * Connects and reads the server's greeting (220; a 120 "ready in a while"
   * is waited through).
   * @returns the transport and the greeting
   * With `tls`, AUTH TLS and the handshake (explicit) or the handshake first
   * (implicit) are done when this resolves.
   * @throws FtpError with the greeting's code when the server refuses (421),
   *   or AUTH TLS's; FtpTimeoutError (ETIMEDOUT); FtpClosedError
   *   (ERR_FTP_CLOSED) when the connection fails (its cause holds
   *   ECONNREFUSED, ...) or the TLS handshake does (a certificate that does
   *   not verify); AbortError
   */
  static async connect(options: TransportOptions): Promise<{ transport: FtpTransport; greeting: Reply }> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal.reason);
    const { host, port, timeoutMs } = options;
    const socket = options.tls?.secure === 'implicit' ? await secureSocket({ host, port, timeoutMs, tls: options.tls }) : net.connect({ host, port });
    const transport = new FtpTransport(socket, options);
    const onAbort = (): void => transport.#shutdown(abortError(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const greeting = await transport.#exchange([], [`connect to ${options.host}:${options.port}`], {})[0]!;
      if (greeting.code !== ReplyCode.ServiceReady) {
        transport.close();
        throw new FtpError(greeting.code, greeting.text);
      }
      if (options.tls?.secure === 'explicit') await transport.#startTls();
      return { transport, greeting };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * AUTH TLS, then the handshake over the control socket. Nothing is
   * queued meanwhile: connect() has not returned the transport yet.
   * @throws FtpError (the server refused AUTH TLS); as secureSocket()
   */
  async #startTls(): Promise<void> {
    const reply = await this.request('AUTH', 'TLS');
    if (reply.code !== ReplyCode.SecurityExchangeComplete) {
      this.close();
      throw new FtpError(reply.code, `the server refused AUTH TLS: ${reply.text}`);
    }
    const plain = this.#socket;
    plain.off('data', this.#onSocketData);
    try {
      this.#socket = await secureSocket(this.#target!, plain);
    } catch (err) {
      this.#shutdown(err as Error, null);
      throw err;
    }
    this.#attach(this.#socket);
  }

  /** True for FTPS: data connections are to be TLS ones too. */
  get secure(): boolean {
    return this.#target !== null;
  }

  /**
   * Makes `socket`, a data connection, a TLS one that resumes this control
   * connection's session (servers with require_ssl_reuse insist).
   * @throws as secureSocket()
   */
  secureData(socket: net.Socket): Promise<tls.TLSSocket> {
    if (!this.#target) throw new Error('the control connection is not TLS');
    return secureSocket({ ...this.#target, session: this.#session }, socket);
  }

  /** True once the connection is closed or closing: every request now fails. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Our address on the control connection (where an active data connection listens). */
  get localAddress(): string {
    return this.#socket.localAddress ?? '127.0.0.1';
  }

  /** The server's address (where a passive data connection goes). */
  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? '127.0.0.1';
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * Sends one command and resolves with its final reply (1xx replies go to
   * onPreliminary). Commands are queued: this one is written after the
   * previous one has its final reply.
   * @throws FtpSyntaxError (ERR_FTP_CONTROL_CHARACTER, ERR_FTP_NUL_BYTE) for
   *   an argument with CR, LF or NUL; FtpClosedError (ERR_FTP_CLOSED);
   *   FtpTimeoutError (ETIMEDOUT), after which the connection is closed
   */
  request(verb: string, arg = '', options: RequestOptions = {}): Promise<Reply> {
    // Checked now, so that an unsafe name fails before anything is queued.
    const line = formatCommand(verb, arg);
    const run = (): Promise<Reply> => this.#exchange([line], [verb], options)[0]!;
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  /**
   * Sends several commands in one write, without waiting for the reply to
   * each before the next (pipelining); the server reads and answers them
   * in order. For a group whose later commands the caller can undo or
   * whose replies it checks before acting on them (EPSV, REST, RETR: the
   * data is not read before REST's 350). Queued like request().
   * @returns one promise per command, for its final reply
   * @throws as request(), for any command: then none is sent
   */
  requestAll(commands: ReadonlyArray<readonly [verb: string, arg?: string]>, options: RequestOptions = {}): Array<Promise<Reply>> {
    const lines = commands.map(([verb, arg = '']) => formatCommand(verb, arg));
    const run = (): Array<Promise<Reply>> => this.#exchange(lines, commands.map(([verb]) => verb), options);
    const sent = this.#queue.then(run, run);
    const replies = lines.map((_, i) => sent.then((all) => all[i]!));
    this.#queue = Promise.allSettled(replies);
    return replies;
  }

  /**
   * Restarts the timer of the exchange in progress: data is moving on the
   * data connection, so a transfer that takes long is not a dead server.
   */
  touch(): void {
    const task = this.#tasks[0];
    if (task) this.#arm(task);
  }

  /** Closes the connection; requests in progress or queued fail with FtpClosedError. */
  close(): void {
    this.#shutdown(new FtpClosedError('the control connection was closed'), null);
  }

  /**
   * Writes `lines` (none: a reply comes unasked, the greeting) and waits
   * for one final reply per label, in order. Only the first reply waited
   * for is timed; each next one's time starts when the one before came.
   */
  #exchange(lines: string[], labels: string[], options: RequestOptions): Array<Promise<Reply>> {
    const replies = labels.map((label) => new Promise<Reply>((resolve, reject) => {
      if (this.#closed) {
        reject(this.#closedBy ?? new FtpClosedError('the control connection is closed'));
        return;
      }
      this.#tasks.push({
        label, timeoutMs: options.timeoutMs ?? this.#timeoutMs, onPreliminary: options.onPreliminary,
        resolve, reject, timer: undefined, begun: false,
      });
    }));
    const head = this.#tasks[0];
    if (head) this.#arm(head);
    if (!this.#closed && lines.length > 0) this.#socket.write(lines.join(''));
    return replies;
  }

  #arm(task: Task): void {
    if (task.timer) {
      // Called for every chunk of a transfer: refresh() is cheaper than a new timer.
      task.timer.refresh();
      return;
    }
    task.timer = setTimeout(() => {
      this.#shutdown(new FtpTimeoutError(`no reply to ${task.label} within ${task.timeoutMs} ms`));
    }, task.timeoutMs);
  }

  #onData(chunk: Buffer): void {
    let replies: Reply[];
    try {
      replies = this.#parser.push(chunk);
    } catch (err) {
      this.#shutdown(err as Error);
      return;
    }
    for (const reply of replies) this.#onReply(reply);
  }

  #onReply(reply: Reply): void {
    const task = this.#tasks[0];
    if (reply.code === ReplyCode.ServiceNotAvailable) {
      // The server is closing the session (an idle timeout, a shutdown).
      // The command it answers was not carried out.
      if (task) this.#finish(task, reply);
      this.#shutdown(new FtpError(ReplyCode.ServiceNotAvailable, reply.text));
      return;
    }
    if (!task) return; // An unsolicited reply other than 421 carries nothing to act on.
    if (replyKind(reply.code) === 'preliminary') {
      task.begun = true;
      this.#arm(task);
      task.onPreliminary?.(reply);
      return;
    }
    this.#finish(task, reply);
  }

  #finish(task: Task, reply: Reply): void {
    clearTimeout(task.timer);
    if (this.#tasks[0] === task) this.#tasks.shift();
    task.resolve(reply);
    const next = this.#tasks[0];
    if (next) this.#arm(next);
  }

  /** The one close path: fails the exchange in progress, then everything queued. */
  #shutdown(reason: Error, emitted: Error | null = reason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedBy = reason instanceof FtpClosedError || reason instanceof FtpError ? reason : new FtpClosedError(reason.message, { cause: reason });
    this.#socket.destroy();
    for (const task of this.#tasks.splice(0)) {
      clearTimeout(task.timer);
      task.reject(reason instanceof FtpClosedError && task.begun ? new FtpClosedError(reason.message, { cause: reason.cause, replied: true }) : reason);
    }
    this.emit('close', emitted);
  }
}
