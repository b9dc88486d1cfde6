// Errors of the broker protocol beyond the library's base ones: a request the
// peer answered BAD (carrying the peer's code) and a call that timed out.
// Raised on the unprivileged (client) side.
import { getSystemErrorMap } from 'node:util';
import { PrivsepError } from '../errors.js';

/**
 * The server answered BAD: its handler refused or failed. `code` is the code
 * it sent ('EACCES', 'ERR_...'); `errno` is the negative errno it sent, or
 * undefined when it sent none. The server's message text never crosses the
 * boundary.
 */
export class BrokerError extends PrivsepError {
  override readonly code: string;
  readonly request: string;
  readonly errno: number | undefined;
  constructor(request: string, code: string, errno: number) {
    const text = errno !== 0 ? getSystemErrorMap().get(errno)?.[1] : undefined;
    super('ERR_PRIVSEP_HANDLER_FAILED', `broker request ${request} refused: ${code}${text ? `: ${text}` : ''}`);
    // The peer's code, whatever it is: an errno name, one of ERROR_CODES, or the application's own.
    this.code = code;
    this.request = request;
    this.errno = errno !== 0 ? errno : undefined;
  }
}

/** A call got no reply in time; the channel was closed to keep replies in step. */
export class BrokerTimeoutError extends PrivsepError {
  readonly request: string;
  readonly timeout: number;
  constructor(request: string, timeout: number) {
    super('ERR_PRIVSEP_BROKER_TIMEOUT', `broker request ${request} got no reply within ${timeout} ms; the channel was closed`);
    this.request = request;
    this.timeout = timeout;
  }
}
