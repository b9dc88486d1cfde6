// What a command handler sees of its session: state, settings, the file
// system view, the data channel, and the few actions that only the session
// itself may take (replying, logging, logging in, quitting, transfers).
import type { EngineOptions } from './engine-options.js';
import type { LoginAnswer, SessionHost, SessionLogBase, SessionLogEvent } from './session-host.js';
import type { SessionState } from './session-state.js';
import type { SessionFs } from './session-fs.js';
import type { DataChannel } from './data-channel.js';
import type { Transfer, TransferDirection } from './transfer.js';

/** Before or after login: each has its own command set (and, in production, its own process). */
export type SessionPhase = 'prelogin' | 'postlogin';

/** The write permission a command needs (vsftpd's anon_upload, anon_mkdir_write, anon_other_write). */
export type WriteKind = 'upload' | 'mkdir' | 'other';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A log event without the fields the session fills in. */
export type SessionLogDetail = DistributiveOmit<SessionLogEvent, keyof SessionLogBase>;

/** The session as its command handlers use it. */
export interface SessionContext {
  readonly state: SessionState;
  readonly options: EngineOptions;
  readonly host: SessionHost;
  readonly phase: SessionPhase;
  /** The file system view; after login only. */
  readonly fs: SessionFs;
  readonly data: DataChannel;
  /** The transfer in progress, if any. */
  readonly transfer: Transfer | null;
  /** The client's address and the server's, normalized (IPv4-mapped IPv6 as IPv4). */
  readonly clientAddress: string;
  readonly localAddress: string;
  /** TLS protects the control connection (AUTH TLS, or implicit FTPS). */
  readonly tls: boolean;
  /** Sends a reply; multi-line when `text` is an array. */
  reply(code: number, text: string | readonly string[]): void;
  /** Reports a log event; `user` overrides the session's user for it. */
  log(detail: SessionLogDetail, user?: string | null): void;
  /** True when this session may run a command that needs `kind` of write access. */
  mayWrite(kind: WriteKind): boolean;
  /** The verbs the session knows, for HELP. */
  commandNames(): string[];
  /** QUIT: 221 and close, after the transfer in progress if there is one. */
  quit(): void;
  /** Replies and closes the connection (max_login_fails reached). */
  disconnect(code: number, text: string): Promise<void>;
  /**
   * AUTH TLS: drops every byte the client sent before this reply, sends 234
   * and gives the raw connection to the host's TLS gate; the session goes on
   * over the plaintext end it gets back (or ends, when that fails).
   */
  startTls(): Promise<void>;
  /** A good PASS: hands the session over, or goes on after login in this process. */
  loginSucceeded(answer: Extract<LoginAnswer, { ok: true }>): Promise<void>;
  /** Starts a transfer: urgent commands (ABOR, STAT, NOOP, QUIT) are read while it runs. */
  beginTransfer(direction: TransferDirection, path: string): Transfer;
  /** Ends it: queued commands run next. */
  endTransfer(transfer: Transfer): void;
}
