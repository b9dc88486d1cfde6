// Reads the PROXY protocol header at the start of a connection without
// blocking the event loop and without taking a byte of what follows it:
// it peeks at what has come, and reads exactly the header's bytes once all
// of them are there (bytes that are all header are taken as they come, so
// the socket does not stay readable while the rest is awaited).
import { FdHandle } from '../fd/fd-handle.js';
import { whenReady } from '../fd/fd-poller.js';
import { peekNonBlocking, readNonBlocking } from '../fd/nonblocking.js';
import { PrivsepError } from '../errors.js';
import { parseProxyHeader, type ProxyHeader, type ProxyHeaderOptions } from './proxy-header.js';

export interface ReadProxyHeaderOptions extends ProxyHeaderOptions {
  /** Give up after this long (ETIMEDOUT); no limit when omitted. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits for the PROXY header (v1 or v2) at the start of socket `fd` and
 * takes exactly its bytes; the connection's own bytes stay unread.
 * @throws PrivsepError ERR_PRIVSEP_PROXY_HEADER for a malformed header or a
 *   connection that ends before it does; ETIMEDOUT after timeoutMs; AbortError;
 *   the errors of recv(2) (ECONNRESET, ...)
 */
export function readProxyHeader(fd: number | FdHandle, options: ReadProxyHeaderOptions = {}): Promise<ProxyHeader> {
  const maxLength = options.maxLength ?? 4096;
  const buffer = Buffer.allocUnsafe(maxLength);
  let taken = 0;
  return whenReady(fd, 'readable', () => {
    const got = peekNonBlocking(fd, buffer, taken, maxLength - taken);
    if (got === null) return undefined;
    if (got === 0) throw new PrivsepError('ERR_PRIVSEP_PROXY_HEADER', `PROXY header: the connection ended after ${taken} bytes, before the header did`);
    const scan = parseProxyHeader(buffer.subarray(0, taken + got), { maxLength });
    // Every byte seen so far is the header's, either way: take only those.
    const want = scan.complete ? scan.length - taken : got;
    for (let done = 0; done < want;) {
      const n = readNonBlocking(fd, buffer, taken + done, want - done);
      if (!n) throw new PrivsepError('ERR_PRIVSEP_PROXY_HEADER', 'PROXY header: bytes seen by a peek were not there to read');
      done += n;
    }
    taken += want;
    return scan.complete ? scan.header : undefined;
  }, { timeoutMs: options.timeoutMs, signal: options.signal, syscall: 'recv' });
}
