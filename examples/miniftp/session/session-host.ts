// The boundary between the session engine and its process: what the engine
// asks of its host (data sockets from the nobody helper, password checks
// from the master, the hand-over after login) and the log events it
// reports. Production hosts speak the broker protocol; tests use one in-process.
import type { FileHandle } from 'node:fs/promises';
import type { FdHandle } from 'privsep';
import type { EngineOptions } from './engine-options.js';
import type { SessionState } from './session-state.js';

/**
 * Makes data connections for one session. In production every call goes to
 * the nobody helper, which alone may create sockets and which checks each
 * peer against the client address it learned from the master (no FTP
 * bounce, no PASV theft), whatever the worker asks.
 */
export interface DataConnector {
  /** Listens for a passive data connection (in the pasv port range); answers the port. Replaces an earlier listener. */
  pasvListen(): Promise<{ port: number }>;
  /** Waits for the client's passive data connection; rejects when `signal` aborts. The connection taken ends the listening. */
  pasvAccept(signal: AbortSignal): Promise<FdHandle>;
  /** Connects to the client for an active data connection (from port 20 when so configured). */
  portConnect(address: string, port: number, signal: AbortSignal): Promise<FdHandle>;
  /** Stops listening for passive connections; nothing when not listening. */
  pasvClose(): Promise<void>;
}

/** The master's answer to a login. */
export type LoginAnswer =
  | {
      ok: true;
      /** The name the session goes on as (a real user's name; "ftp" for anonymous). */
      user: string;
      anonymous: boolean;
      /** An emulated root for this session, when the process is not chrooted to it. */
      root?: string | null;
      /** Where the session starts, in its own view ("/" under a chroot). */
      home?: string;
    }
  | {
      ok: false;
      /** Close the connection now (max_login_fails reached, as the master counts). */
      disconnect?: boolean;
    };

/** The control connection as the host knows it (the pre-login worker's and user worker's from the master). */
export interface ConnectionInfo {
  clientAddress: string;
  localAddress: string;
  /** TLS protects it: the session holds the plaintext end of the TLS gate's socketpair. */
  tls: boolean;
}

/** What every log event carries. */
export interface SessionLogBase {
  time: Date;
  session: string;
  /** The client's IP address. */
  client: string;
  user: string | null;
}

/** One log line's worth of what happened in a session. */
export type SessionLogEvent = SessionLogBase & (
  | { type: 'connect' }
  | { type: 'login'; ok: boolean; anonymous: boolean }
  | {
      type: 'transfer';
      direction: 'download' | 'upload';
      /** The file, in the session's view. */
      path: string;
      bytes: number;
      seconds: number;
      /** 'ok' only for a transfer that completed; an aborted upload is never 'ok'. */
      result: 'ok' | 'failed' | 'aborted';
      mode: 'ascii' | 'binary';
      /** Times the rate limit held the transfer back. */
      throttleWaits: number;
    }
  | { type: 'action'; action: 'mkdir' | 'rmdir' | 'delete' | 'rename' | 'chmod'; path: string; ok: boolean }
  | { type: 'end'; reason: string }
  /** log_ftp_protocol: a command as it came (PASS's argument masked) or a reply line as it went. */
  | { type: 'protocol'; direction: 'command' | 'reply'; text: string }
);

/** What a process gives each session it runs. */
export interface SessionHost {
  options: EngineOptions;
  /** The session's data sockets; after login only (a pre-login worker has none to give). */
  data?: DataConnector;
  log(event: SessionLogEvent): void;
  /** Pre-login only: asks the master; a failure comes back after delay_failed_login. */
  login?(user: string, password: string): Promise<LoginAnswer>;
  /**
   * Pre-login only, with userlist_enable: may this name (as typed at USER) go
   * on to PASS? A refusal comes back after delay_failed_login and counts as
   * a failed login; `refusedLast` means max_login_fails is reached.
   */
  checkUser?(user: string): Promise<'ok' | 'refused' | 'refusedLast'>;
  /**
   * Pre-login only: takes a logged-in session away. The engine has stopped
   * reading, flushed its replies and detached the connection without
   * closing it; `unread` holds every byte received and not yet handled, in
   * order. The user's worker goes on with `new FtpSession(control.toSocket(),
   * host, 'postlogin', state, unread)`, which first sends the 230. Without
   * a handover the session goes on in this process.
   */
  handover?(control: FdHandle, state: SessionState, unread: Buffer): void | Promise<void>;
  /**
   * Pre-login only, with ssl_enable: the control connection after the 234 of
   * AUTH TLS (nothing read from it since) goes to the TLS gate; resolves to
   * the plaintext end. Without it AUTH gets 502.
   */
  startTls?(raw: FdHandle): Promise<FdHandle>;
  /**
   * After login, for PROT P: a data connection (the raw socket) goes to the
   * TLS gate; resolves to the plaintext end, which first carries the gate's
   * DataGateStatus byte. Without it PROT P gets 536.
   */
  protectData?(raw: FdHandle): Promise<FdHandle>;
  /**
   * chown_uploads: gives the file an anonymous upload just opened to
   * chown_username, with chown_upload_mode (the master does it; the worker
   * may not). Without it, chown_uploads cannot be honoured and such uploads fail.
   */
  chownUpload?(file: FileHandle): Promise<void>;
}
