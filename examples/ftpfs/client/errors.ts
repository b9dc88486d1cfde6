// The FTP client's own errors, besides the shared FtpError (a failure reply):
// the control connection is gone, or an exchange took longer than allowed.
// Unprivileged: the client runs as the user who mounts.

/**
 * The control connection closed (the server hung up, the socket failed, or
 * close() was called). `replied` is false when the command in progress got
 * no reply at all: the server cannot have acted on it, so it is safe to log
 * in again and repeat it.
 */
export class FtpClosedError extends Error {
  readonly code = 'ERR_FTP_CLOSED';
  readonly replied: boolean;
  constructor(message: string, options: { cause?: unknown; replied?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FtpClosedError';
    this.replied = options.replied ?? false;
  }
}

/**
 * No reply, no data and no connection within the time allowed. The control
 * connection is closed after it: a late reply would be taken for the answer
 * to the next command.
 */
export class FtpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(message: string) {
    super(message);
    this.name = 'FtpTimeoutError';
  }
}

export { abortError } from 'privsep';
