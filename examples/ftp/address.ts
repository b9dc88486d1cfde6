// Address codecs of the data connection: PORT and PASV's h1,h2,h3,h4,p1,p2
// (RFC 959), EPRT and EPSV (RFC 2428), and the address comparison the server's
// anti-bounce checks rest on. Server arguments are parsed strictly; reply texts
// are parsed tolerantly, as real clients must. Pure: no I/O.
import { FtpProtocolError, FtpSyntaxError, excerpt, invalidArgValue, outOfRange } from './errors.js';

/** An IP address and a TCP port. */
export interface HostPort {
  host: string;
  port: number;
}

/** An address family, named as Node names them. */
export type AddressFamily = 'IPv4' | 'IPv6';

/** A decoded EPRT argument. */
export interface ExtendedHostPort extends HostPort {
  family: AddressFamily;
}

/** What an EPSV argument asks for (RFC 2428 section 3). */
export type EpsvRequest =
  | { kind: 'any' }
  | { kind: 'all' }
  | { kind: 'family'; family: AddressFamily };

const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const hexGroup = /^[0-9A-Fa-f]{1,4}$/;

/**
 * The 16 bytes of an IPv4 or IPv6 address in text form, IPv4 given as its
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d), or null when `address` is not one.
 * Leading zeros in IPv4 parts and IPv6 zone ids are refused.
 */
export function addressBytes(address: string): Uint8Array | null {
  if (ipv4Pattern.test(address)) {
    const bytes = new Uint8Array(16);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    address.split('.').forEach((part, i) => (bytes[12 + i] = Number(part)));
    return bytes;
  }
  return ipv6Bytes(address);
}

function ipv6Bytes(address: string): Uint8Array | null {
  if (address.length > 45 || !address.includes(':')) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groups: number[][] = [];
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h]!;
    const parts = half === '' ? [] : half.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      // Only the very last group may be a dotted IPv4 address (::ffff:1.2.3.4).
      if (h === halves.length - 1 && i === parts.length - 1 && part.includes('.')) {
        if (!ipv4Pattern.test(part)) return null;
        const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number];
        words.push((a << 8) | b, (c << 8) | d);
      } else if (hexGroup.test(part)) {
        words.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    groups.push(words);
  }
  const [head, tail] = groups as [number[], number[] | undefined];
  const total = head.length + (tail?.length ?? 0);
  if (tail === undefined ? total !== 8 : total > 7) return null;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...(tail ?? [])];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * An address in the form used for comparisons and replies: an IPv4-mapped
 * IPv6 address (::ffff:1.2.3.4, as a dual-stack socket reports IPv4 peers)
 * becomes plain IPv4; IPv6 becomes lower case. Null when not an address.
 */
export function normalizeAddress(address: string): string | null {
  const bytes = addressBytes(address);
  if (!bytes) return null;
  if (isMapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  return address.toLowerCase();
}

/** The family of an address after {@link normalizeAddress}, or null when not an address. */
export function addressFamily(address: string): AddressFamily | null {
  const bytes = addressBytes(address);
  if (!bytes) return null;
  return isMapped(bytes) ? 'IPv4' : 'IPv6';
}

/**
 * True when two addresses name the same host: `1.2.3.4` equals
 * `::ffff:1.2.3.4`, and `::1` equals `0:0:0:0:0:0:0:1`. An invalid address
 * equals nothing, so a check built on this fails closed.
 */
export function sameAddress(a: string, b: string): boolean {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (!x || !y) return false;
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return false;
  return true;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw outOfRange('port', 'an integer >= 1 and <= 65535', port);
  }
}

function ipv4Of(host: string): string {
  const normal = normalizeAddress(host);
  if (normal === null || addressFamily(host) !== 'IPv4') {
    throw invalidArgValue('host', host, 'must be an IPv4 address');
  }
  return normal;
}

/**
 * Encodes an IPv4 address and port as PORT and PASV carry them:
 * `h1,h2,h3,h4,p1,p2` (RFC 959 4.1.2).
 * @param host IPv4, or IPv4-mapped IPv6
 * @param port 1..65535
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `host` is not IPv4;
 *   RangeError (ERR_OUT_OF_RANGE) for a bad port
 */
export function encodeHostPort(host: string, port: number): string {
  checkPort(port);
  return `${ipv4Of(host).replace(/\./g, ',')},${port >> 8},${port & 0xff}`;
}

const hostPortPattern = /^(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})$/;

function hostPortOf(numbers: string[], fail: (why: string) => Error): HostPort {
  const values = numbers.map(Number);
  if (values.some((v) => v > 255)) throw fail('each number must be 0..255');
  const port = values[4]! * 256 + values[5]!;
  if (port === 0) throw fail('port 0 is not a port');
  return { host: values.slice(0, 4).join('.'), port };
}

/**
 * Decodes a PORT argument, strictly: exactly six decimal numbers 0..255
 * separated by commas, no spaces or signs, and a port that is not 0. Whether
 * the address is the client's own is the server's policy, not checked here.
 * @throws FtpSyntaxError (ERR_FTP_BAD_ARGUMENT, reply 501) when malformed
 */
export function decodeHostPort(arg: string): HostPort {
  const fail = (why: string) => new FtpSyntaxError('ERR_FTP_BAD_ARGUMENT', `bad PORT argument ${excerpt(arg)}: ${why}`);
  const m = hostPortPattern.exec(arg);
  if (!m) throw fail('expected h1,h2,h3,h4,p1,p2');
  return hostPortOf(m.slice(1), fail);
}

/**
 * The text of a 227 reply to PASV: `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `host` is not IPv4; RangeError for a bad port
 */
export function pasvReplyText(host: string, port: number): string {
  return `Entering Passive Mode (${encodeHostPort(host, port)}).`;
}

const pasvPattern = /(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})/;

/**
 * Finds the address in a 227 reply's text, tolerantly: the first six
 * comma-separated numbers anywhere in it, with or without parentheses, as
 * real servers write them differently.
 * @throws FtpProtocolError (ERR_FTP_PROTOCOL) when the text holds no valid address
 */
export function parsePasvReply(text: string): HostPort {
  const fail = (why: string) => new FtpProtocolError(`bad PASV reply ${excerpt(text)}: ${why}`);
  const m = pasvPattern.exec(text);
  if (!m) throw fail('no h1,h2,h3,h4,p1,p2 in it');
  return hostPortOf(m.slice(1), fail);
}

const familyNumber: Record<AddressFamily, string> = { IPv4: '1', IPv6: '2' };

/**
 * Encodes an EPRT argument: `|1|1.2.3.4|port|` or `|2|::1|port|` (RFC 2428).
 * An IPv4-mapped address is sent as IPv4.
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `host` is not an IP address;
 *   RangeError (ERR_OUT_OF_RANGE) for a bad port
 */
export function encodeEprt(host: string, port: number): string {
  checkPort(port);
  const family = addressFamily(host);
  const normal = normalizeAddress(host);
  if (family === null || normal === null) {
    throw invalidArgValue('host', host, 'must be an IP address');
  }
  return `|${familyNumber[family]}|${normal}|${port}|`;
}

/**
 * Decodes an EPRT argument strictly (RFC 2428 section 2): a delimiter
 * character (ASCII 33..126) that splits the argument into exactly the three
 * fields, protocol 1 (IPv4) or 2 (IPv6), an address of that family
 * (IPv4-mapped IPv6 counts as IPv6 here, as written), and a port 1..65535.
 * @throws FtpSyntaxError ERR_FTP_BAD_ARGUMENT (501) when malformed,
 *   ERR_FTP_UNSUPPORTED_PROTOCOL (522) for a protocol number other than 1 or 2
 */
export function decodeEprt(arg: string): ExtendedHostPort {
  const fail = (why: string) => new FtpSyntaxError('ERR_FTP_BAD_ARGUMENT', `bad EPRT argument ${excerpt(arg)}: ${why}`);
  const d = arg.charCodeAt(0);
  if (!(d >= 33 && d <= 126)) throw fail('the delimiter must be an ASCII character 33..126');
  const fields = arg.split(arg[0]!);
  if (fields.length !== 5 || fields[0] !== '' || fields[4] !== '') throw fail('expected <d>proto<d>address<d>port<d>');
  const [, proto, host, portText] = fields as [string, string, string, string, string];
  if (proto !== '1' && proto !== '2') {
    throw new FtpSyntaxError('ERR_FTP_UNSUPPORTED_PROTOCOL', `EPRT network protocol ${excerpt(proto)} is not supported`, 522);
  }
  const family: AddressFamily = proto === '1' ? 'IPv4' : 'IPv6';
  const isV4 = ipv4Pattern.test(host);
  if (family === 'IPv4' ? !isV4 : isV4 || ipv6Bytes(host) === null) throw fail(`not an ${family} address`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw fail('port must be 1..65535');
  return { family, host: family === 'IPv4' ? host : host.toLowerCase(), port: Number(portText) };
}

/**
 * Decodes EPSV's optional argument: none (any family), `ALL` (only EPSV from
 * now on), or a protocol number, 1 or 2.
 * @throws FtpSyntaxError ERR_FTP_UNSUPPORTED_PROTOCOL (522) for another number,
 *   ERR_FTP_BAD_ARGUMENT (501) for anything else
 */
export function parseEpsvArgument(arg: string): EpsvRequest {
  if (arg === '') return { kind: 'any' };
  if (arg.toUpperCase() === 'ALL') return { kind: 'all' };
  if (arg === '1') return { kind: 'family', family: 'IPv4' };
  if (arg === '2') return { kind: 'family', family: 'IPv6' };
  if (/^\d{1,5}$/.test(arg)) {
    throw new FtpSyntaxError('ERR_FTP_UNSUPPORTED_PROTOCOL', `EPSV network protocol ${excerpt(arg)} is not supported`, 522);
  }
  throw new FtpSyntaxError('ERR_FTP_BAD_ARGUMENT', `bad EPSV argument ${excerpt(arg)}`);
}

/**
 * The text of a 229 reply to EPSV: `Entering Extended Passive Mode (|||port|)`.
 * @throws RangeError (ERR_OUT_OF_RANGE) for a bad port
 */
export function epsvReplyText(port: number): string {
  checkPort(port);
  return `Entering Extended Passive Mode (|||${port}|)`;
}

const epsvPattern = /\(([\x21-\x7e])\1\1(\d{1,5})\1\)/;

/**
 * Finds the port in a 229 reply's text: `(<d><d><d>port<d>)` anywhere in it,
 * with any delimiter character 33..126 used four times (RFC 2428 section 3).
 * @throws FtpProtocolError (ERR_FTP_PROTOCOL) when there is none or the port is not 1..65535
 */
export function parseEpsvReply(text: string): number {
  const m = epsvPattern.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new FtpProtocolError(`bad EPSV reply ${excerpt(text)}: no (|||port|) in it`);
  return port;
}
