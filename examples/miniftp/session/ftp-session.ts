// FtpSession: one control connection's FTP session inside a worker: one
// command at a time under the command table's policy, ABOR/STAT/NOOP/QUIT
// read during transfers, the idle timeout, and one way out (QUIT, timeout,
// error, the client leaving, or the hand-over after login).
import fs from 'node:fs';
import type net from 'node:net';
import { formatReply, normalizeAddress, parseCommand, ReplyCode, type FramedLine, type FtpSyntaxError, type FtpSyntaxErrorCode } from '../../ftp/index.js';
import { COMMANDS, lookupCommand } from './command-table.js';
import { ControlConnection } from './control-connection.js';
import { DataChannel } from './data-channel.js';
import type { EngineOptions } from './engine-options.js';
import { RateLimiter } from './rate-limiter.js';
import type { SessionContext, SessionLogDetail, SessionPhase, WriteKind } from './session-context.js';
import { SessionFs } from './session-fs.js';
import type { ConnectionInfo, LoginAnswer, SessionHost, SessionLogEvent } from './session-host.js';
import { newSessionState, type SessionState } from './session-state.js';
import { commandAllowed, pathDenied } from './policy.js';
import { Transfer, type TransferDirection } from './transfer.js';
import { dataProtectionRequired } from '../tls-policy.js';
import { invalidArgValue } from 'privsep';

// Commands read ahead while a transfer runs; beyond this, reading waits.
const MAX_QUEUED = 64;

const SYNTAX_REPLIES: Readonly<Record<FtpSyntaxErrorCode, string>> = {
  ERR_FTP_LINE_TOO_LONG: 'Command line too long.',
  ERR_FTP_EMPTY_LINE: 'Empty command line.',
  ERR_FTP_NUL_BYTE: 'NUL byte in command line.',
  ERR_FTP_CONTROL_CHARACTER: 'CR inside a command line.',
  ERR_FTP_INVALID_UTF8: 'Command line is not valid UTF-8.',
  ERR_FTP_BAD_VERB: 'Unknown command.',
  ERR_FTP_BAD_ARGUMENT: 'Syntax error in parameters or arguments.',
  ERR_FTP_UNSUPPORTED_PROTOCOL: 'Network protocol not supported.',
};

/** One FTP session on one control connection. */
export class FtpSession implements SessionContext {
  /** Resolves once the session has ended and everything it opened is closed (or handed over). */
  readonly done: Promise<void>;
  readonly state: SessionState;
  readonly options: EngineOptions;
  readonly host: SessionHost;
  readonly data: DataChannel;
  readonly clientAddress: string;
  readonly localAddress: string;
  #tls: boolean;
  #control: ControlConnection;
  #phase: SessionPhase;
  #fs: SessionFs | null = null;
  #queue: FramedLine[] = [];
  #busy = false;
  #transfer: Transfer | null = null;
  #idle: NodeJS.Timeout | null = null;
  #handingOver = false;
  #ending = false;
  #ended = false;
  #quitPending = false;
  #resolveDone!: () => void;

  /**
   * Starts a session: 'prelogin' sends the banner; 'postlogin' goes on from
   * a handed-over `state` (sending the 230 it owes first) and reads the
   * `unread` bytes before anything else from the socket. `connection` is
   * what the host knows of the control connection (needed when `control` is
   * the plaintext end of the TLS gate's socketpair, which has no addresses).
   * @throws TypeError (ERR_INVALID_ARG_VALUE) for 'postlogin' without a logged-in state
   */
  constructor(control: net.Socket, host: SessionHost, phase: SessionPhase, state?: SessionState, unread?: Buffer, connection?: ConnectionInfo) {
    if (phase === 'postlogin' && !state?.loggedIn) {
      throw invalidArgValue('state', state?.loggedIn, 'must be the state of a logged-in session for a postlogin session');
    }
    this.host = host;
    this.options = host.options;
    this.state = state ?? newSessionState({ umask: host.options.localUmask });
    this.#phase = phase;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#control = this.#attach(control, unread, this.state.splitter);
    this.state.splitter = { discarding: false, interrupted: false };
    // The master's word first: behind a load balancer (PROXY protocol) the socket's peer is the balancer.
    this.clientAddress = (connection?.clientAddress ? normalizeAddress(connection.clientAddress) ?? connection.clientAddress : '') || this.#control.remoteAddress;
    this.localAddress = this.#control.localAddress || (connection?.localAddress ?? '');
    this.#tls = connection?.tls ?? false;
    this.data = new DataChannel(host.data ?? null);
    if (phase === 'prelogin') {
      this.log({ type: 'connect' });
      this.reply(ReplyCode.ServiceReady, this.options.banner ?? '(miniftp)');
    } else {
      this.#enterPostlogin();
    }
    queueMicrotask(() => this.#pump());
  }

  /**
   * Ends the session from the server's side (the worker shuts down): 421,
   * the transfer in progress stopped, the connection closed.
   */
  close(): Promise<void> {
    void this.#end('server shutdown', { code: ReplyCode.ServiceNotAvailable, text: 'Service not available, closing control connection.' });
    return this.done;
  }

  get tls(): boolean {
    return this.#tls;
  }

  get phase(): SessionPhase {
    return this.#phase;
  }

  get fs(): SessionFs {
    if (!this.#fs) throw new Error('no file system before login');
    return this.#fs;
  }

  get transfer(): Transfer | null {
    return this.#transfer;
  }

  reply(code: number, text: string | readonly string[]): void {
    this.#control.reply(code, text);
    if (this.options.logFtpProtocol) this.#logReply(code, text);
  }

  #logReply(code: number, text: string | readonly string[]): void {
    const lines = typeof text === 'string' ? [text] : text;
    lines.forEach((line, i) => this.log({ type: 'protocol', direction: 'reply', text: `${code}${i === lines.length - 1 ? ' ' : '-'}${line}` }));
  }

  log(detail: SessionLogDetail, user: string | null = this.state.user): void {
    const event = { time: new Date(), session: this.state.id, client: this.clientAddress, user, ...detail } as SessionLogEvent;
    try {
      this.host.log(event);
    } catch {
      // A failing log sink must not take the session down.
    }
  }

  mayWrite(kind: WriteKind): boolean {
    const { options } = this;
    if (!options.writeEnable) return false;
    if (!this.state.anonymous) return true;
    return kind === 'upload' ? options.anonUploadEnable : kind === 'mkdir' ? options.anonMkdirWriteEnable : options.anonOtherWriteEnable;
  }

  commandNames(): string[] {
    return Object.keys(COMMANDS).sort();
  }

  quit(): void {
    if (this.#transfer) this.#quitPending = true;
    else void this.#end('quit', { code: ReplyCode.ClosingControlConnection, text: 'Goodbye.' });
  }

  disconnect(code: number, text: string): Promise<void> {
    return this.#end(text, { code, text });
  }

  async startTls(): Promise<void> {
    this.#handingOver = true;
    this.#stopIdle();
    let detached;
    try {
      detached = await this.#control.detach();
      if (!detached) throw new Error('unbounded detach refused');
    } catch {
      await this.#end('connection lost before TLS', null);
      return;
    }
    // Bytes the client sent before it could see the 234 are never commands
    // (the STARTTLS injection class): detached.unread is dropped, and the
    // 234 goes out only now that no one reads the socket but the gate.
    this.#queue = [];
    const raw = detached.fd;
    try {
      fs.writeSync(raw.fd, formatReply(ReplyCode.SecurityExchangeComplete, 'Proceed with negotiation.'));
      if (this.options.logFtpProtocol) this.#logReply(ReplyCode.SecurityExchangeComplete, 'Proceed with negotiation.');
      const plain = await this.host.startTls!(raw);
      this.#control = this.#attach(plain.toSocket());
      this.#tls = true;
    } catch {
      if (!raw.closed) raw.close();
      this.#handingOver = false;
      await this.#end('TLS could not start', null);
      return;
    }
    this.#handingOver = false;
  }

  async loginSucceeded(answer: Extract<LoginAnswer, { ok: true }>): Promise<void> {
    const home = answer.home ?? '/';
    Object.assign(this.state, {
      loggedIn: true,
      loginReplyPending: true,
      user: answer.user,
      anonymous: answer.anonymous,
      root: answer.root ?? null,
      home,
      cwd: home,
      umask: answer.anonymous ? this.options.anonUmask : this.options.localUmask,
      loginFails: 0,
      restartOffset: 0,
      renameFrom: null,
    });
    if (this.host.handover) await this.#handover();
    else this.#enterPostlogin();
  }

  beginTransfer(direction: TransferDirection, path: string): Transfer {
    const rate = direction === 'download' ? this.options.downloadMaxRate : direction === 'upload' ? this.options.uploadMaxRate : 0;
    const transfer = new Transfer(direction, path, rate > 0 ? new RateLimiter(rate) : null);
    this.#transfer = transfer;
    if (this.#ending) transfer.stop('closed');
    // ABOR may already be waiting in the input.
    queueMicrotask(() => this.#pump());
    return transfer;
  }

  endTransfer(transfer: Transfer): void {
    if (this.#transfer !== transfer) return;
    this.#transfer = null;
    if (this.#quitPending) void this.#end('quit', { code: ReplyCode.ClosingControlConnection, text: 'Goodbye.' });
  }

  #attach(socket: net.Socket, unread?: Buffer, splitter?: SessionState['splitter']): ControlConnection {
    return new ControlConnection(socket, {
      input: () => this.#pump(),
      closed: (error) => void this.#end(error ? 'connection lost' : 'connection closed', null),
    }, { maxLineBytes: this.options.maxCommandLineBytes, unread, splitter });
  }

  #enterPostlogin(): void {
    this.#phase = 'postlogin';
    this.#fs = new SessionFs(this.state.root ?? this.options.root, this.state);
    if (this.state.loginReplyPending) {
      this.state.loginReplyPending = false;
      this.reply(ReplyCode.LoggedIn, 'Login successful.');
      this.log({ type: 'login', ok: true, anonymous: this.state.anonymous });
    }
  }

  // Gives the logged-in session to the host: no more reading, replies flushed,
  // the connection detached unclosed with every unhandled byte. What travels
  // is bounded: a client that sent more than a command line ahead is closed.
  async #handover(): Promise<void> {
    this.#handingOver = true;
    this.#stopIdle();
    let detached;
    try {
      detached = await this.#control.detach(this.options.maxCommandLineBytes);
    } catch {
      // The client left meanwhile (or no fd was left for the copy).
      await this.#end('connection lost during login', null);
      return;
    }
    if (!detached) {
      await this.#end('too much input before the login completed', { code: ReplyCode.ServiceNotAvailable, text: 'Too much input before the login completed.' });
      return;
    }
    this.#ending = true;
    this.state.splitter = detached.splitter;
    await this.data.release();
    try {
      await this.host.handover!(detached.fd, this.state, detached.unread);
    } catch {
      if (!detached.fd.closed) detached.fd.close();
    }
    this.#ended = true;
    this.#settle();
  }

  #pump(): void {
    if (this.#ending || this.#handingOver) return;
    if (this.#transfer) {
      this.#readDuringTransfer();
      return;
    }
    while (!this.#busy && !this.#transfer && !this.#ending && !this.#handingOver) {
      if (this.#control.congested) {
        // A client that stops reading its replies is idle too.
        this.#armIdle();
        void this.#control.writable().then(() => this.#pump());
        return;
      }
      const line = this.#queue.shift() ?? this.#control.nextLine();
      if (!line) break;
      this.#execute(line);
    }
    if (this.#busy || this.#transfer || this.#ending || this.#handingOver) return;
    if (this.#control.ended) void this.#end('client closed the connection', null);
    else this.#armIdle();
  }

  // While a transfer runs: urgent commands now, the rest in line for later.
  #readDuringTransfer(): void {
    while (this.#queue.length < MAX_QUEUED) {
      const line = this.#control.nextLine();
      if (!line) return;
      if (this.#isUrgent(line)) this.#execute(line);
      else this.#queue.push(line);
    }
  }

  #isUrgent(line: FramedLine): boolean {
    if (!line.ok) return false;
    try {
      return lookupCommand(parseCommand(line.bytes, this.options.maxCommandLineBytes).verb)?.urgent === true;
    } catch {
      return false;
    }
  }

  #execute(line: FramedLine): void {
    this.#stopIdle();
    if (!line.ok) {
      this.reply(line.error.replyCode, SYNTAX_REPLIES[line.error.code]);
      return;
    }
    let verb: string;
    let arg: string;
    try {
      ({ verb, arg } = parseCommand(line.bytes, this.options.maxCommandLineBytes));
    } catch (err) {
      const { code } = err as FtpSyntaxError;
      // Empty lines are ignored, as vsftpd does (some NAT devices send them).
      if (code !== 'ERR_FTP_EMPTY_LINE') this.reply(ReplyCode.SyntaxError, SYNTAX_REPLIES[code] ?? 'Syntax error.');
      return;
    }
    if (this.options.logFtpProtocol) {
      // As vsftpd: the password never reaches the log.
      this.log({ type: 'protocol', direction: 'command', text: verb === 'PASS' ? 'PASS <password>' : arg === '' ? verb : `${verb} ${arg}` });
    }
    const spec = lookupCommand(verb);
    if (!spec) return this.reply(ReplyCode.SyntaxError, 'Unknown command.');
    if (spec.phase === 'postlogin' && this.#phase !== 'postlogin') return this.reply(ReplyCode.NotLoggedIn, 'Please login with USER and PASS.');
    // cmds_allowed and cmds_denied apply after login only, as in vsftpd.
    if (this.#phase === 'postlogin' && !commandAllowed(this.options, verb)) return this.reply(ReplyCode.FileUnavailable, 'Permission denied.');
    const hasArg = arg.trim() !== '';
    if (spec.arg === 'required' && !hasArg) return this.reply(ReplyCode.SyntaxErrorInArguments, `${verb} needs an argument.`);
    if (spec.arg === 'none' && hasArg) return this.reply(ReplyCode.SyntaxErrorInArguments, `${verb} takes no argument.`);
    if ((spec.enabled && !spec.enabled(this.options)) || (spec.write && !this.mayWrite(spec.write))) {
      return this.reply(ReplyCode.FileUnavailable, 'Permission denied.');
    }
    if (spec.paths?.(arg, this.options).some((given) => pathDenied(this.options, this.fs.resolve(given)))) {
      return this.reply(ReplyCode.FileUnavailable, 'Permission denied.');
    }
    if (spec.data && this.state.protection !== 'P' && dataProtectionRequired(this.options, this.state.anonymous)) {
      // vsftpd's code for a data connection its TLS policy refuses.
      return this.reply(ReplyCode.NetworkProtocolNotSupported, 'Data connections must be encrypted.');
    }
    // RNTO must follow RNFR at once (RFC 959 4.1.3).
    if (verb !== 'RNTO') this.state.renameFrom = null;
    let result: void | Promise<void>;
    try {
      result = spec.handler(this, arg);
    } catch {
      this.#internalError();
      return;
    }
    if (!result) return;
    this.#busy = true;
    result.catch(() => this.#internalError()).finally(() => {
      this.#busy = false;
      this.#settle();
      this.#pump();
    });
  }

  // A handler that throws is a bug; the client learns the command failed, and the session goes on.
  #internalError(): void {
    this.reply(ReplyCode.LocalError, 'Internal error; the command was not completed.');
  }

  #armIdle(): void {
    const seconds = this.options.idleSessionTimeout;
    if (seconds <= 0 || this.#idle) return;
    this.#idle = setTimeout(() => void this.#end('idle timeout', { code: ReplyCode.ServiceNotAvailable, text: 'Timeout.' }), seconds * 1000);
  }

  #stopIdle(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
  }

  // The one way out (except the hand-over): stop the transfer, close the
  // passive listener, close the connection (after `last`), log, settle.
  async #end(reason: string, last: { code: number; text: string } | null): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    this.#stopIdle();
    this.#transfer?.stop('closed');
    this.#queue = [];
    await this.data.release();
    if (last) await this.#control.close(last);
    else if (this.#control.ended) await this.#control.close();
    else await this.#control.destroy();
    this.log({ type: 'end', reason });
    this.#ended = true;
    this.#settle();
  }

  // `done` waits for the handler in progress too: its files and sockets close first.
  #settle(): void {
    if (this.#ended && !this.#busy) this.#resolveDone();
  }
}
