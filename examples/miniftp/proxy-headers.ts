// The PROXY protocol on miniftp's connections (proxy_protocol_enable): who
// the client of a connection from a trusted load balancer is. The master
// asks it for each control connection, the nobody helper for each passive
// data connection; headers are read off the event loop, each within a
// deadline, and only so many at once.
import { readProxyHeader, type FdHandle } from 'privsep';
import { normalizeAddress } from '../ftp/index.js';
import type { TrustedProxies } from './proxy-trust.js';

/** How long a connection from a balancer has to send its header. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;
/** Headers read at once; connections beyond are closed (a balancer sends its header at once). */
export const MAX_PENDING_PROXY_HEADERS = 256;

export type ProxiedClient = { ok: true; client: string } | { ok: false; reason: string };

export class ProxyHeaders {
  readonly trusted: TrustedProxies;
  readonly #limit: number;
  #pending = 0;

  constructor(trusted: TrustedProxies, limit = MAX_PENDING_PROXY_HEADERS) {
    this.trusted = trusted;
    this.#limit = limit;
  }

  /**
   * The client of connection `fd` from `peer`: the source its header names,
   * or `peer` itself for the balancer's own connection (a v2 LOCAL or v1
   * UNKNOWN header: a health check, as the protocol says). Takes exactly the
   * header's bytes off `fd`; the caller still owns it.
   */
  async clientOf(fd: FdHandle | number, peer: string, timeoutMs = PROXY_HEADER_TIMEOUT_MS): Promise<ProxiedClient> {
    if (!this.trusted.trusts(peer)) return { ok: false, reason: `PROXY protocol: ${peer} is not in proxy_protocol_trusted` };
    if (this.#pending >= this.#limit) return { ok: false, reason: `PROXY protocol: ${this.#limit} headers pending already` };
    this.#pending++;
    try {
      const header = await readProxyHeader(fd, { timeoutMs });
      if (header.command === 'local') return { ok: true, client: peer };
      if (!header.source || (header.family !== 'tcp4' && header.family !== 'tcp6')) {
        return { ok: false, reason: `PROXY protocol: the header from ${peer} relays ${header.family}, not TCP over IP` };
      }
      return { ok: true, client: normalizeAddress(header.source.address) ?? header.source.address };
    } catch (err) {
      const e = err as { code?: string; message: string };
      const why = e.code === 'ETIMEDOUT' ? `no header within ${timeoutMs / 1000} s` : e.message.replace(/^PROXY header: /, 'bad header: ');
      return { ok: false, reason: `PROXY protocol: ${peer}: ${why}` };
    } finally {
      this.#pending--;
    }
  }
}
