// The library's own error classes and codes (ERR_PRIVSEP_*), and helpers to
// build system and argument errors shaped like Node's. A leaf: imports no
// other module of the library.
import { getSystemErrorMap } from 'node:util';

/** Base of every error the library itself raises; `code` is stable. */
export class PrivsepError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

/** A Node-shaped system error for a negative errno, as the addon builds them. */
export function errnoError(errno: number, syscall: string): ErrnoError {
  const [code, text] = getSystemErrorMap().get(errno) ?? [`Unknown system error ${errno}`, 'unknown error'];
  return Object.assign(new Error(`${code}: ${text}, ${syscall}`), { code, errno, syscall });
}

/** The error an aborted operation rejects with, as Node's own APIs shape it (name AbortError, code ABORT_ERR). */
export function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
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

/** TypeError with code ERR_INVALID_ARG_VALUE, worded as Node words it. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  const err = new TypeError(`The argument '${name}' ${reason}. Received ${shown}`);
  (err as TypeError & { code: string }).code = 'ERR_INVALID_ARG_VALUE';
  return err;
}
