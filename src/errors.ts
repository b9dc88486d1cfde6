// The library's own error codes (ERR_PRIVSEP_*), declared once with their
// class and meaning as Node's lib/internal/errors.js declares its own, and
// the builders of system and argument errors shaped like Node's. A leaf:
// imports no other module of the library and loads no addon, so code that
// must stay pure imports it as 'privsep/errors'.
import os from 'node:os';
import { getSystemErrorMap } from 'node:util';

/** Every code the library's own errors carry (docs/errors.md lists them). */
export const ERROR_CODES = {
  ERR_PRIVSEP_PROTOCOL: {
    class: 'ProtocolError',
    meaning: 'A peer sent something the protocol does not allow (a malformed frame or item, a hello that does not match); the channel was closed.',
  },
  ERR_PRIVSEP_UNPERMITTED_REQUEST: {
    class: 'UnpermittedRequestError',
    meaning: 'A broker request the table does not declare, or does not permit in the current phase; answered BAD, the server goes on.',
  },
  ERR_PRIVSEP_CHANNEL_CLOSED: {
    class: 'ChannelClosedError',
    meaning: 'An operation on a channel or fd handle that is closed, or was closed while the operation waited.',
  },
  ERR_PRIVSEP_BROKER_TIMEOUT: {
    class: 'BrokerTimeoutError',
    meaning: 'A broker request got no reply within its timeout; the channel was closed.',
  },
  ERR_PRIVSEP_HANDLER_FAILED: {
    class: 'BrokerError',
    meaning: 'A broker handler threw something without an errno code; the peer gets this code, the server goes on.',
  },
  ERR_PRIVSEP_THREADS_DIVERGED: {
    class: 'PrivsepError',
    meaning: 'A credential change succeeded on some threads and failed on others; the process must exit.',
  },
  ERR_PRIVSEP_CREDENTIALS_MISMATCH: {
    class: 'PrivsepError',
    meaning: 'After a credential change a thread does not have the intended ids, groups or capabilities.',
  },
  ERR_PRIVSEP_NOT_DROPPED: {
    class: 'PrivsepError',
    meaning: 'setuid(0) or setgid(0) still succeeds after dropping privileges; the process must exit.',
  },
  ERR_PRIVSEP_UNKNOWN_USER: {
    class: 'PrivsepError',
    meaning: 'A user named for a credential change does not exist.',
  },
  ERR_PRIVSEP_FDS_TRUNCATED: {
    class: 'Error (from the addon)',
    meaning: 'recvmsg reported MSG_CTRUNC: the kernel dropped descriptors that were sent; those that arrived were closed (a datagram socket reads on).',
  },
  ERR_PRIVSEP_UNEXPECTED_CONTROL_MESSAGE: {
    class: 'Error (from the addon)',
    meaning: 'recvmsg brought a control message other than SCM_RIGHTS (or SCM_CREDENTIALS where credentials were asked for); the fds that came with the message were closed.',
  },
  ERR_PRIVSEP_NO_EVENT_LOOP: {
    class: 'Error (from the addon)',
    meaning: 'An fd watcher was made where Node-API gives no libuv event loop.',
  },
  ERR_PRIVSEP_PAM_UNAVAILABLE: {
    class: 'Error (from the addon)',
    meaning: 'libpam.so.0 (Linux-PAM) cannot be loaded at run time (dlopen); `syscall` is dlopen, the message says why.',
  },
  ERR_PRIVSEP_PAM_NO_SERVICE: {
    class: 'PrivsepError',
    meaning: 'A PAM service has no configuration of its own (`path` names the file looked for), so Linux-PAM would use its "other" service instead.',
  },
  ERR_PRIVSEP_PAM: {
    class: 'PamError',
    meaning: 'A PAM step refused or failed: `syscall` is the step (pam_authenticate, pam_acct_mgmt, ...), `pamStatus` its PAM_* number and `pamCode` its name.',
  },
  ERR_PRIVSEP_PROXY_HEADER: {
    class: 'PrivsepError',
    meaning: 'A connection did not start with a valid PROXY protocol header (v1 or v2): wrong signature, malformed or unknown field, too long, or the connection ended first.',
  },
  ERR_PRIVSEP_HANDOVER_BUSY: {
    class: 'PrivsepError',
    meaning: 'A listener hand-over was asked for while another one is under way, or after this generation gave its listeners away.',
  },
  ERR_PRIVSEP_HANDOVER_FAILED: {
    class: 'PrivsepError',
    meaning: 'A new generation did not take the listeners (it exited, refused, missed its deadline, or runs as another user); the old generation keeps them and goes on accepting.',
  },
} as const;

/** A code of {@link ERROR_CODES}. */
export type PrivsepErrorCode = keyof typeof ERROR_CODES;

/** Base of every error the library itself raises; `code` is stable. */
export class PrivsepError extends Error {
  readonly code: string;
  constructor(code: PrivsepErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A peer sent something the protocol does not allow; the channel is closed. */
export class ProtocolError extends PrivsepError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PRIVSEP_PROTOCOL', message, options);
  }
}

/** A broker request that the table does not declare or does not permit now. */
export class UnpermittedRequestError extends PrivsepError {
  constructor(message: string) {
    super('ERR_PRIVSEP_UNPERMITTED_REQUEST', message);
  }
}

/** An operation on a channel that is closed, or closed while it waited. */
export class ChannelClosedError extends PrivsepError {
  constructor(message = 'channel is closed', options?: { cause?: unknown }) {
    super('ERR_PRIVSEP_CHANNEL_CLOSED', message, options);
  }
}

/** A Node-style system error: `code` like 'EBADF', negative `errno`, `syscall`. */
export interface ErrnoError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

/** Where a system error happened, as Node's errors name it. */
export interface ErrnoDetails {
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
}

/**
 * A system error with Node's shape and message: `code`, negative `errno`,
 * `syscall` and the details given (`ENOENT: no such file or directory, open
 * '/x'`; `connect ECONNREFUSED 127.0.0.1:21` with an address, as Node's
 * net errors).
 * @param error an errno name ('EIO') or a negative errno, as the addon has it
 */
export function errnoError(error: string | number, syscall: string, details: ErrnoDetails = {}): ErrnoError & ErrnoDetails {
  const number = typeof error === 'number' ? error : -((os.constants.errno as Record<string, number>)[error] ?? 0);
  const [code, text] = getSystemErrorMap().get(number) ?? [typeof error === 'string' ? error : `Unknown system error ${error}`, 'unknown error'];
  let message: string;
  if (details.address !== undefined) {
    message = `${syscall} ${code} ${details.address}${details.port === undefined ? '' : `:${details.port}`}`;
  } else {
    message = `${code}: ${text}, ${syscall}`;
    if (details.path !== undefined) message += ` '${details.path}'`;
    if (details.dest !== undefined) message += ` -> '${details.dest}'`;
  }
  const err = Object.assign(new Error(message), { code, errno: number, syscall });
  for (const key of ['path', 'dest', 'address', 'port'] as const) {
    if (details[key] !== undefined) Object.assign(err, { [key]: details[key] });
  }
  return err;
}

/** The error an aborted operation rejects with, as Node's own APIs shape it (name AbortError, code ABORT_ERR; the signal's reason as cause). */
export function abortError(reason?: unknown): Error {
  return Object.assign(new Error('The operation was aborted', reason === undefined ? undefined : { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * What a broker handler throws to answer BAD with `code` (an errno name
 * such as EACCES; the peer gets it with its errno); `message` stays on this
 * side, for logs.
 */
export function refusal(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** True when `err` carries the shape of a Node system error, optionally with `code`. */
export function isErrnoError(err: unknown, code?: string): err is ErrnoError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Partial<ErrnoError>;
  return typeof e.code === 'string' && typeof e.errno === 'number' && typeof e.syscall === 'string' &&
    (code === undefined || e.code === code);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  return `type ${typeof value} (${String(value)})`;
}

/** TypeError with code ERR_INVALID_ARG_TYPE, worded as Node words it. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`);
  (err as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/** RangeError with code ERR_OUT_OF_RANGE, worded as Node words it. */
export function outOfRange(name: string, range: string, actual: unknown): RangeError {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(actual)}`);
  (err as RangeError & { code: string }).code = 'ERR_OUT_OF_RANGE';
  return err;
}

/** Checks that `value` is an integer in [min, max]; returns it. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

/** Checks a file descriptor number. */
export function checkFd(name: string, value: unknown): number {
  return checkInteger(name, value, 0, 0x7fffffff);
}

/** TypeError with code ERR_INVALID_ARG_VALUE, worded as Node words it; a long string is shown cut, as Node cuts it. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  let shown = typeof value === 'string' ? `'${value}'` : String(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const err = new TypeError(`The argument '${name}' ${reason}. Received ${shown}`);
  (err as TypeError & { code: string }).code = 'ERR_INVALID_ARG_VALUE';
  return err;
}
