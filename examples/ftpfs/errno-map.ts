// How ftpfs turns what went wrong with the FTP server into the errno a
// program on the mount sees: reply codes (and, for the vague 550, the
// reply's words), lost connections and timeouts, local cache errors. Pure.
import os from 'node:os';
import { FtpError, FtpProtocolError, FtpSyntaxError, ReplyCode } from '../ftp/index.js';
import { fuseError } from './fuse/operations.js';

/** An errno name that os.constants.errno knows. */
export type ErrnoCode = keyof typeof os.constants.errno;

// 550 says "not taken, file unavailable": its text tells which way it went.
const TEXT_RULES: ReadonlyArray<[RegExp, ErrnoCode]> = [
  [/no such file|not found|does not exist|doesn'?t exist|cannot find|can't find|no such directory/i, 'ENOENT'],
  [/not empty/i, 'ENOTEMPTY'],
  [/already exists|file exists/i, 'EEXIST'],
  [/is a directory/i, 'EISDIR'],
  [/not a directory/i, 'ENOTDIR'],
  [/permission denied|access denied|not permitted|forbidden|not allowed/i, 'EACCES'],
  [/quota|disk full|no space/i, 'ENOSPC'],
];

const NETWORK = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'ENOTCONN', 'EADDRNOTAVAIL',
]);

/** The errno of a failure reply, from its code, and for 550 and 553 also from its text. */
export function errnoOfReply(code: number, text: string): ErrnoCode {
  switch (code) {
    case ReplyCode.FileActionNotTaken: return 'EBUSY'; // file busy
    case ReplyCode.InsufficientStorage: case ReplyCode.StorageAllocationExceeded: return 'ENOSPC'; // insufficient storage, exceeded storage allocation
    case ReplyCode.SyntaxErrorInArguments: return 'EINVAL'; // syntax error in the arguments
    case ReplyCode.SyntaxError: case ReplyCode.CommandNotImplemented: case ReplyCode.ParameterNotImplemented: return 'EOPNOTSUPP'; // the server lacks the command
    case ReplyCode.NotLoggedIn: case ReplyCode.NeedAccountForStoring: return 'EACCES'; // not logged in, or needs an account
    case ReplyCode.FileUnavailable: case ReplyCode.FileNameNotAllowed: {
      for (const [pattern, errno] of TEXT_RULES) if (pattern.test(text)) return errno;
      if (/name/i.test(text) && code === ReplyCode.FileNameNotAllowed) return 'EINVAL';
      // vsftpd's "Failed to open file." and the like: the caller may know better (see FtpFs).
      return code === ReplyCode.FileUnavailable ? 'ENOENT' : 'EACCES';
    }
    default:
      // 421 closing, 425/426 data connection trouble, 451 local error, other 4xx/5xx.
      return 'EIO';
  }
}

/**
 * The errno for anything an FTP operation threw: a failure reply by its
 * code, a name FTP cannot carry (CR, LF, NUL) EINVAL, an abort EINTR, a
 * local error (the cache disk) its own code, and everything that means the
 * server is unreachable or misbehaving (closed, timed out, refused,
 * protocol errors) EIO.
 */
export function errnoOf(err: unknown): ErrnoCode {
  if (err instanceof FtpError) return errnoOfReply(err.code, err.text);
  if (err instanceof FtpSyntaxError) return 'EINVAL';
  if (err instanceof FtpProtocolError) return 'EIO';
  if (typeof err === 'object' && err !== null) {
    const { name, code } = err as { name?: unknown; code?: unknown };
    if (name === 'AbortError') return 'EINTR';
    // Local file system errors (ENOSPC on the cache disk, ...) keep their errno;
    // socket errors mean the server is out of reach: EIO.
    if (typeof code === 'string' && !NETWORK.has(code) && Object.hasOwn(os.constants.errno, code)) return code as ErrnoCode;
  }
  return 'EIO';
}

/** An error for FuseSession: `code` and negative `errno` of `name`, the cause kept. */
export function fsError(name: ErrnoCode, cause?: unknown): Error & { code: string; errno: number } {
  return fuseError(name, cause instanceof Error ? `${name}: ${cause.message}` : name, cause);
}
