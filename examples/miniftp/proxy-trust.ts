// proxy_protocol_trusted: the load balancers whose PROXY headers miniftp
// believes, as CIDR blocks. Pure; read by the master and the nobody helper.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { addressFamily, normalizeAddress } from '../ftp/index.js';

/** Why `text` is not a list of CIDR blocks (naming the entry), or undefined. */
export function trustedListError(text: string): string | undefined {
  try {
    TrustedProxies.parse(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export class TrustedProxies {
  readonly #blocks: BlockList;
  readonly text: string;

  private constructor(blocks: BlockList, text: string) {
    this.#blocks = blocks;
    this.text = text;
  }

  /**
   * Reads `a.b.c.d/n, x:y::/n, ...`; an address without a prefix is that one host.
   * @throws Error naming the entry that is not a CIDR block
   */
  static parse(text: string): TrustedProxies {
    const blocks = new BlockList();
    for (const raw of text.split(',')) {
      const entry = raw.trim();
      const [address = '', prefixText, ...extra] = entry.split('/');
      const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : null;
      const bits = family === 'ipv4' ? 32 : 128;
      const prefix = prefixText === undefined ? bits : /^(0|[1-9][0-9]{0,2})$/.test(prefixText) ? Number(prefixText) : NaN;
      if (entry === '' || family === null || extra.length > 0 || !(prefix <= bits)) {
        throw new Error(`${JSON.stringify(entry)} is not a CIDR block (a.b.c.d/0..32 or an IPv6 address/0..128)`);
      }
      blocks.addSubnet(address, prefix, family);
    }
    return new TrustedProxies(blocks, text);
  }

  /** Whether a connection from `address` comes from a trusted balancer (::ffff:a.b.c.d counts as a.b.c.d). */
  trusts(address: string): boolean {
    const plain = normalizeAddress(address);
    if (plain === null) return false;
    return this.#blocks.check(plain, addressFamily(plain) === 'IPv4' ? 'ipv4' : 'ipv6');
  }
}
