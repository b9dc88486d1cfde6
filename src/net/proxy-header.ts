// The PROXY protocol header (HAProxy's, versions 1 and 2) that a load
// balancer puts before a relayed connection's own bytes to say whom it
// relays: a parser of the bytes seen so far. Pure: it reads no fd, so every
// hostile input can be tried on it directly.
import { isIPv4, isIPv6 } from 'node:net';
import { PrivsepError } from '../errors.js';

/** One end of the relayed connection. */
export interface ProxyEndpoint {
  address: string;
  port: number;
}

export type ProxyFamily = 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix-stream' | 'unix-dgram' | 'unspec';

export interface ProxyHeader {
  version: 1 | 2;
  /**
   * 'proxy': the balancer relays a connection from `source` to
   * `destination`. 'local': the balancer's own connection (a health check; v2
   * LOCAL, or v1 UNKNOWN): the protocol says to use the connection's own ends.
   */
  command: 'proxy' | 'local';
  family: ProxyFamily;
  /** Set for the IP families of the 'proxy' command, null otherwise. */
  source: ProxyEndpoint | null;
  destination: ProxyEndpoint | null;
  /** v2's type-length-value extensions, as they came (none interpreted here). */
  tlvs: Array<{ type: number; value: Buffer }>;
}

export type ProxyHeaderScan =
  | { complete: true; header: ProxyHeader; /** the header's bytes: what follows belongs to the relayed connection */ length: number }
  | { complete: false; /** at least this many more bytes are needed */ need: number };

export interface ProxyHeaderOptions {
  /** Longest header taken (v2 may announce up to 16 + 65535 bytes); longer ones are refused. Default 4096. */
  maxLength?: number;
}

/** The v2 signature: no text protocol starts this way. */
export const PROXY_V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V1_PREFIX = Buffer.from('PROXY ');
/** The longest v1 line, CRLF included, as the specification bounds it. */
export const PROXY_V1_MAX_LENGTH = 107;
const V2_FIXED_LENGTH = 16;
const DEFAULT_MAX_LENGTH = 4096;

function malformed(why: string): PrivsepError {
  return new PrivsepError('ERR_PRIVSEP_PROXY_HEADER', `PROXY header: ${why}`);
}

// Whether the bytes so far are a prefix of `signature` (or start with all of it).
function startsLike(bytes: Uint8Array, signature: Uint8Array): boolean {
  const n = Math.min(bytes.length, signature.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== signature[i]) return false;
  return true;
}

/**
 * Reads a PROXY header from the first bytes of a connection. Returns the
 * header and its length once all of it is there (the bytes after it are
 * not looked at), or how many more bytes it needs at least.
 * @throws PrivsepError ERR_PRIVSEP_PROXY_HEADER for bytes that are not, or cannot become, a valid header
 */
export function parseProxyHeader(bytes: Uint8Array, options: ProxyHeaderOptions = {}): ProxyHeaderScan {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (data.length === 0) return { complete: false, need: 1 };
  if (startsLike(data, V1_PREFIX)) return parseV1(data);
  if (startsLike(data, PROXY_V2_SIGNATURE)) return parseV2(data, maxLength);
  throw malformed('no PROXY signature (v1 "PROXY " or the v2 signature)');
}

function parseV1(data: Buffer): ProxyHeaderScan {
  const end = data.indexOf('\r\n');
  // A CR at the end of what came so far may be the start of the CRLF.
  const searched = end !== -1 ? end : data[data.length - 1] === 0x0d ? data.length - 1 : data.length;
  const stray = data.subarray(0, searched).findIndex((b) => b === 0x0d || b === 0x0a || b === 0);
  if (stray !== -1) throw malformed(`v1 line has a stray control byte at ${stray}`);
  if (end === -1) {
    if (data.length >= PROXY_V1_MAX_LENGTH) throw malformed(`v1 line longer than ${PROXY_V1_MAX_LENGTH} bytes`);
    return { complete: false, need: data.length === PROXY_V1_MAX_LENGTH - 1 || data[data.length - 1] === 0x0d ? 1 : 2 };
  }
  const length = end + 2;
  if (length > PROXY_V1_MAX_LENGTH) throw malformed(`v1 line longer than ${PROXY_V1_MAX_LENGTH} bytes`);
  const line = data.toString('latin1', 0, end);
  const fields = line.split(' ');
  const header = (family: ProxyFamily, source: ProxyEndpoint | null, destination: ProxyEndpoint | null): ProxyHeaderScan => ({
    complete: true, length, header: { version: 1, command: source ? 'proxy' : 'local', family, source, destination, tlvs: [] },
  });
  // UNKNOWN: whatever follows it up to the CRLF is to be ignored.
  if (fields[1] === 'UNKNOWN') return header('unspec', null, null);
  if (fields.length !== 6) throw malformed(`v1 line has ${fields.length} fields, not 6: ${JSON.stringify(line)}`);
  const [, protocol, source, destination, sourcePort, destinationPort] = fields as [string, string, string, string, string, string];
  if (protocol !== 'TCP4' && protocol !== 'TCP6') throw malformed(`v1 protocol ${JSON.stringify(protocol)} is not TCP4, TCP6 or UNKNOWN`);
  const check = protocol === 'TCP4' ? isIPv4 : (a: string) => isIPv6(a) && !a.includes('%');
  for (const address of [source, destination]) {
    if (!check(address)) throw malformed(`v1 ${protocol} address ${JSON.stringify(address)} is not an ${protocol === 'TCP4' ? 'IPv4' : 'IPv6'} address`);
  }
  return header(protocol === 'TCP4' ? 'tcp4' : 'tcp6', { address: source.toLowerCase(), port: v1Port(sourcePort) }, { address: destination.toLowerCase(), port: v1Port(destinationPort) });
}

function v1Port(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65535) throw malformed(`v1 port ${JSON.stringify(text)} is not a decimal 0..65535`);
  return Number(text);
}

const V2_FAMILIES: Record<number, { family: ProxyFamily; addressBytes: number }> = {
  0x00: { family: 'unspec', addressBytes: 0 },
  0x11: { family: 'tcp4', addressBytes: 12 },
  0x12: { family: 'udp4', addressBytes: 12 },
  0x21: { family: 'tcp6', addressBytes: 36 },
  0x22: { family: 'udp6', addressBytes: 36 },
  0x31: { family: 'unix-stream', addressBytes: 216 },
  0x32: { family: 'unix-dgram', addressBytes: 216 },
};

function parseV2(data: Buffer, maxLength: number): ProxyHeaderScan {
  if (data.length < V2_FIXED_LENGTH) return { complete: false, need: V2_FIXED_LENGTH - data.length };
  const versionCommand = data[12]!;
  if (versionCommand >> 4 !== 2) throw malformed(`v2 version ${versionCommand >> 4} is not 2`);
  const commandBits = versionCommand & 0x0f;
  if (commandBits > 1) throw malformed(`v2 command ${commandBits} is neither LOCAL (0) nor PROXY (1)`);
  const familyByte = data[13]!;
  const known = V2_FAMILIES[familyByte];
  if (!known) throw malformed(`v2 address family and transport 0x${familyByte.toString(16).padStart(2, '0')} are unknown`);
  const length = V2_FIXED_LENGTH + data.readUInt16BE(14);
  if (length > maxLength) throw malformed(`v2 header of ${length} bytes is longer than the ${maxLength} taken`);
  if (data.length < length) return { complete: false, need: length - data.length };
  const command = commandBits === 0 ? 'local' : 'proxy';
  const block = data.subarray(V2_FIXED_LENGTH, length);
  // LOCAL: the protocol block, family included, is to be discarded.
  if (command === 'local') return { complete: true, length, header: { version: 2, command, family: 'unspec', source: null, destination: null, tlvs: [] } };
  if (block.length < known.addressBytes) throw malformed(`v2 ${known.family} addresses need ${known.addressBytes} bytes, the header has ${block.length}`);
  let source: ProxyEndpoint | null = null;
  let destination: ProxyEndpoint | null = null;
  if (known.addressBytes === 12) {
    source = { address: ipv4Text(block.subarray(0, 4)), port: block.readUInt16BE(8) };
    destination = { address: ipv4Text(block.subarray(4, 8)), port: block.readUInt16BE(10) };
  } else if (known.addressBytes === 36) {
    source = { address: ipv6Text(block.subarray(0, 16)), port: block.readUInt16BE(32) };
    destination = { address: ipv6Text(block.subarray(16, 32)), port: block.readUInt16BE(34) };
  }
  const tlvs = parseTlvs(block.subarray(known.addressBytes));
  return { complete: true, length, header: { version: 2, command, family: known.family, source, destination, tlvs } };
}

function parseTlvs(bytes: Buffer): Array<{ type: number; value: Buffer }> {
  const tlvs: Array<{ type: number; value: Buffer }> = [];
  for (let at = 0; at < bytes.length;) {
    if (bytes.length - at < 3) throw malformed(`v2 TLV at ${at} is cut short (${bytes.length - at} bytes)`);
    const size = bytes.readUInt16BE(at + 1);
    if (at + 3 + size > bytes.length) throw malformed(`v2 TLV at ${at} announces ${size} bytes, ${bytes.length - at - 3} are left`);
    tlvs.push({ type: bytes[at]!, value: Buffer.from(bytes.subarray(at + 3, at + 3 + size)) });
    at += 3 + size;
  }
  return tlvs;
}

function ipv4Text(bytes: Uint8Array): string {
  return Array.from(bytes).join('.');
}

// RFC 5952 text: the longest run of two or more zero groups as ::, and an
// IPv4-mapped address with its IPv4 part dotted.
function ipv6Text(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${ipv4Text(bytes.subarray(12))}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
