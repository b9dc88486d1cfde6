// The error classes of the FTP protocol layer, shared by server and client.
// Pure: no I/O; of the privsep library it takes only the builders of
// Node-shaped argument errors ('privsep/errors', which loads no addon), so
// the codecs stay testable alone.
import { outOfRange } from 'privsep/errors';

export { invalidArgValue, outOfRange } from 'privsep/errors';

/**
 * An FTP reply that reports a failure, as the client sees it. `code` is the
 * three-digit reply code (550, 530, ...), `text` the reply's text, lines
 * joined by '\n'.
 */
export class FtpError extends Error {
  readonly code: number;
  readonly text: string;
  constructor(code: number, text: string, options?: { cause?: unknown }) {
    super(`${code} ${text}`, options);
    this.name = 'FtpError';
    this.code = code;
    this.text = text;
  }
}

/**
 * The peer sent bytes that break the FTP protocol (a malformed or oversized
 * reply, a reply text without the address it must carry). The connection
 * cannot be trusted after it and should be closed. `code` is always
 * 'ERR_FTP_PROTOCOL'.
 */
export class FtpProtocolError extends Error {
  readonly code = 'ERR_FTP_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'FtpProtocolError';
  }
}

/** Stable codes of {@link FtpSyntaxError}. */
export type FtpSyntaxErrorCode =
  | 'ERR_FTP_LINE_TOO_LONG'
  | 'ERR_FTP_EMPTY_LINE'
  | 'ERR_FTP_NUL_BYTE'
  | 'ERR_FTP_CONTROL_CHARACTER'
  | 'ERR_FTP_INVALID_UTF8'
  | 'ERR_FTP_BAD_VERB'
  | 'ERR_FTP_BAD_ARGUMENT'
  | 'ERR_FTP_UNSUPPORTED_PROTOCOL';

/**
 * A command line or an argument that does not fit FTP's syntax: too long, a
 * NUL or CR/LF inside, invalid UTF-8, a malformed verb or address. The server
 * answers it with `replyCode` (500 for the line, 501 for an argument, 522 for
 * an address family it does not speak, RFC 2428) and goes on; the client
 * raises it instead of sending an unsafe command.
 */
export class FtpSyntaxError extends Error {
  readonly code: FtpSyntaxErrorCode;
  readonly replyCode: 500 | 501 | 522;
  constructor(code: FtpSyntaxErrorCode, message: string, replyCode: 500 | 501 | 522 = 501) {
    super(message);
    this.name = 'FtpSyntaxError';
    this.code = code;
    this.replyCode = replyCode;
  }
}

/** Checks an integer limit option; returns it, or `fallback` when undefined. */
export function checkLimit(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw outOfRange(name, `an integer >= ${min}`, value);
  return value;
}

/** Shows an untrusted string in an error message: JSON-quoted and cut short. */
export function excerpt(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}
