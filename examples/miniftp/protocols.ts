// The broker tables between miniftp's master and its workers. The monitor
// table is what a worker may ask the master (login checks and handing a
// session over are pre-login only); the control table is what the master
// tells a worker.
import { defineProtocol } from 'privsep';
import type { MiniftpConfig } from './config-table.js';

/** worker -> master, on the worker's fd 3. */
export const monitorProtocol = defineProtocol({
  name: 'miniftp-monitor',
  version: 2,
  requests: {
    /**
     * Starts the check of USER/PASS for session `sid` and answers at once
     * with a LoginStart; after `checking` the verdict comes later as the
     * control table's loginVerdict. Errors only for a worker that breaks the
     * rules: ESRCH (not its session), EALREADY (logged in), EBUSY (a check of
     * the session runs).
     */
    login: { id: 1, args: ['int', 'buf', 'buf'], reply: ['result', 'int'], phase: 'prelogin' },
    /** After a good login: the control connection, the session state (JSON) and the bytes read but not handled. */
    handover: { id: 2, args: ['int', 'fd', 'buf', 'buf'], reply: ['result'], phase: 'prelogin' },
    /** The session ended in this worker. */
    sessionClosed: { id: 3, args: ['int'], reply: ['result'], phase: ['prelogin', 'postlogin'] },
    /** chown_uploads: gives session `sid`'s new upload (a regular file of the worker's anonymous user) to chown_username. */
    chownUpload: { id: 4, args: ['int', 'fd'], reply: ['result'], phase: 'postlogin' },
    /** A log event (JSON, a SessionLogEvent) of session `sid`: the master checks, escapes and writes it. */
    log: { id: 5, args: ['int', 'buf'], reply: ['result'], phase: ['prelogin', 'postlogin'] },
    /**
     * AUTH TLS was answered with 234: session `sid`'s control connection (the
     * raw TCP socket, nothing read from it since the 234) goes to the TLS gate;
     * the answer is the plaintext end, on which the session goes on.
     * ESRCH (not its session), EALREADY (TLS already), EBADF (not the
     * session's connection), EOPNOTSUPP (ssl_enable is off).
     */
    startTls: { id: 6, args: ['int', 'fd'], reply: ['result', 'fd'], phase: 'prelogin' },
    /**
     * PROT P: a data connection of session `sid` (the raw TCP socket the
     * helper made) goes to the TLS gate; the answer is the plaintext end,
     * which first carries the gate's DataGateStatus byte. ESRCH (not its
     * session), EPERM (no TLS on its control connection), EBADF (not a TCP
     * connection between the session's client and server addresses).
     */
    protectData: { id: 7, args: ['int', 'fd'], reply: ['result', 'fd'], phase: 'postlogin' },
    /**
     * USER with userlist_enable: may session `sid` go on to PASS as this
     * name? A LoginStart: `checking` yes (331); `refused` or `refusedLast`
     * no, counted as a failed login (530 after delay_failed_login).
     * ESRCH (not its session), EALREADY (logged in), EBUSY (a check runs).
     */
    checkUser: { id: 8, args: ['int', 'buf'], reply: ['result', 'int'], phase: 'prelogin' },
  },
});

/** master -> worker, on the worker's fd 4. */
export const controlProtocol = defineProtocol({
  name: 'miniftp-control',
  version: 2,
  requests: {
    /** A new connection for the pre-login worker: sid, control fd, the connection (JSON, a ConnectionInfo). */
    newSession: { id: 1, args: ['int', 'fd', 'buf'], reply: ['result'] },
    /** A logged-in session for a user worker: sid, control fd, data channel fd, state (JSON), unread bytes, the connection (JSON, a ConnectionInfo). */
    adoptSession: { id: 2, args: ['int', 'fd', 'fd', 'buf', 'buf', 'buf'], reply: ['result'] },
    /** The end of a login check: sid, a LoginVerdict, and how long to hold back the 530 (ms). */
    loginVerdict: { id: 3, args: ['int', 'int', 'int'], reply: ['result'] },
    /** Are you there? A worker that does not answer within the master's deadline is replaced. */
    ping: { id: 4, args: [], reply: ['result'] },
    /** A new data channel for session `sid` (its helper was replaced): later PASV/PORT go through it. */
    replaceDataChannel: { id: 5, args: ['int', 'fd'], reply: ['result'] },
    /** The worker's memory (HeapStats as JSON), after a full collection when it runs with --expose-gc. */
    stats: { id: 6, args: [], reply: ['result', 'buf'] },
  },
});

/** The answer to a login request, as its reply carries it. */
export const LoginStart = {
  /** The check runs: its verdict comes as loginVerdict. */
  checking: 0,
  /** No check: asked before the failed-login delay passed, which counts as a failure; 530 now. */
  refused: 1,
  /** No check, for the last time (max_login_fails reached): 530, then close. */
  refusedLast: 2,
} as const;

/** The verdict of a login check, as loginVerdict carries it. */
export const LoginVerdict = {
  /** Approved: the worker hands the session over. */
  ok: 0,
  /** Refused: 530 after the delay. */
  failed: 1,
  /** Refused for the last time (max_login_fails): 530 after the delay, then close. */
  failedLast: 2,
} as const;

/** The identity a user worker runs as, decided by the master at login. */
export interface WorkerIdentity {
  user: string;
  uid: number;
  gid: number;
  groups: number[];
  /** chroot here before serving (null: no chroot). */
  chroot: string | null;
  /** The session's first directory, inside the chroot when there is one. */
  home: string;
  anonymous: boolean;
}

/**
 * A spare worker's start, passed in MINIFTP_WORKER: a user worker to be,
 * without an identity. It loads its code as root and waits for the master to
 * write one identity (JSON, a WorkerIdentity) on its fd 5 and close it; then
 * it drops to it and runs as that identity's worker.
 */
export interface SpareSpec {
  kind: 'spare';
  config: MiniftpConfig;
  isolateNetwork: boolean;
}

/**
 * The build's run of the worker bundle (scripts/worker-code-cache.mjs), in
 * MINIFTP_WORKER: the spare's warm-up alone, with the default
 * configuration, so that the code cache made afterwards holds what a spare
 * compiles. No channel, no identity.
 */
export interface CodeCacheRun {
  kind: 'code-cache';
}

/** The fd on which a spare worker reads its identity. */
export const SPARE_IDENTITY_FD = 5;

/** Everything a worker needs to know at start, passed in MINIFTP_WORKER. */
export interface WorkerSpec {
  kind: 'prelogin' | 'user';
  config: MiniftpConfig;
  /** For a pre-login worker: prelogin_uid, nopriv_user's group and secure_chroot_dir. */
  identity: WorkerIdentity;
  /** Run in an empty network namespace (isolate_network). */
  isolateNetwork: boolean;
}
