// parseProxyHeader on good headers of both versions and on hostile input:
// truncated, oversized, wrong signature, bad v1 addresses and ports, unknown
// v2 families and commands, TLVs cut short.
import { describe, expect, test } from 'vitest';
import { parseProxyHeader, PROXY_V2_SIGNATURE } from '../../src/net/proxy-header.js';

function v2(command: number, family: number, block: Buffer): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x20 | command;
  fixed[1] = family;
  fixed.writeUInt16BE(block.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, block]);
}

function inet4(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

const bad = (bytes: Buffer | string, why: RegExp) =>
  expect(() => parseProxyHeader(Buffer.from(bytes))).toThrow(expect.objectContaining({ code: 'ERR_PRIVSEP_PROXY_HEADER', message: expect.stringMatching(why) }));

describe('v1', () => {
  test('TCP4 and TCP6 lines give the source and destination; the bytes after the CRLF are not the header\'s', () => {
    const line = 'PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\r\n';
    const scan = parseProxyHeader(Buffer.from(`${line}USER x\r\n`));
    expect(scan).toEqual({ complete: true, length: line.length, header: {
      version: 1, command: 'proxy', family: 'tcp4', source: { address: '192.0.2.7', port: 40000 }, destination: { address: '198.51.100.1', port: 21 }, tlvs: [],
    } });
    const six = parseProxyHeader(Buffer.from('PROXY TCP6 2001:DB8::7 ::1 65535 0\r\n'));
    expect(six).toMatchObject({ complete: true, header: { family: 'tcp6', source: { address: '2001:db8::7', port: 65535 }, destination: { address: '::1', port: 0 } } });
  });

  test('UNKNOWN is the balancer\'s own connection, whatever follows it on the line', () => {
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toMatchObject({ complete: true, length: 15, header: { command: 'local', source: null } });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n'))).toMatchObject({ complete: true, header: { command: 'local' } });
  });

  test('a line cut short asks for more; one without its CRLF within 107 bytes is refused', () => {
    const line = 'PROXY TCP4 192.0.2.7 198.51.100.1 40000 21\r\n';
    for (let n = 1; n < line.length; n++) {
      const scan = parseProxyHeader(Buffer.from(line.slice(0, n)));
      expect(scan.complete, `${n} bytes`).toBe(false);
      if (!scan.complete) expect(scan.need).toBeGreaterThanOrEqual(1);
    }
    bad(`PROXY TCP6 ${'a'.repeat(120)}`, /longer than 107/);
    bad(`PROXY TCP6 ${'1:'.repeat(60)}\r\n`, /longer than 107/);
  });

  test('bad protocols, addresses, ports and field counts are refused, naming the field', () => {
    bad('PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', /protocol "TCP5"/);
    bad('PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n', /address "1.2.3.256"/);
    bad('PROXY TCP4 ::1 5.6.7.8 1 2\r\n', /address "::1" is not an IPv4/);
    bad('PROXY TCP6 1.2.3.4 ::1 1 2\r\n', /address "1.2.3.4" is not an IPv6/);
    bad('PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /fe80::1%eth0/);
    bad('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', /port "65536"/);
    bad('PROXY TCP4 1.2.3.4 5.6.7.8 021 2\r\n', /port "021"/);
    bad('PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n', /port "-1"/);
    bad('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', /5 fields, not 6/);
    bad('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n', /7 fields/);
    bad('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', /stray control byte/);
    bad('PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n', /stray control byte/);
  });
});

describe('v2', () => {
  test('PROXY over TCP/IPv4 and TCP/IPv6 gives the addresses; TLVs are skipped as they came', () => {
    const tlv = Buffer.from([0x04, 0x00, 0x02, 0xaa, 0xbb]);
    const header = v2(1, 0x11, Buffer.concat([inet4([192, 0, 2, 7], [10, 0, 0, 1], 40000, 21), tlv]));
    const scan = parseProxyHeader(Buffer.concat([header, Buffer.from('STOR data')]));
    expect(scan).toEqual({ complete: true, length: header.length, header: {
      version: 2, command: 'proxy', family: 'tcp4', source: { address: '192.0.2.7', port: 40000 }, destination: { address: '10.0.0.1', port: 21 },
      tlvs: [{ type: 4, value: Buffer.from([0xaa, 0xbb]) }],
    } });
    const block = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000007', 'hex').copy(block, 0);
    Buffer.from('00000000000000000000ffffc0000201', 'hex').copy(block, 16);
    block.writeUInt16BE(5000, 32);
    block.writeUInt16BE(21, 34);
    expect(parseProxyHeader(v2(1, 0x21, block))).toMatchObject({ complete: true, header: {
      family: 'tcp6', source: { address: '2001:db8::7', port: 5000 }, destination: { address: '::ffff:192.0.2.1', port: 21 },
    } });
  });

  test('LOCAL (a health check) discards its block, whatever family it names', () => {
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toMatchObject({ complete: true, length: 16, header: { command: 'local', source: null } });
    expect(parseProxyHeader(v2(0, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)))).toMatchObject({ complete: true, length: 28, header: { command: 'local', source: null } });
  });

  test('a header cut anywhere asks for the bytes it still needs', () => {
    const header = v2(1, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    for (let n = 1; n < header.length; n++) {
      const scan = parseProxyHeader(header.subarray(0, n));
      expect(scan.complete, `${n} bytes`).toBe(false);
      if (!scan.complete && n >= 16) expect(scan.need).toBe(header.length - n);
    }
  });

  test('wrong signature, version, command, unknown family, short addresses, bad TLVs and oversize are refused', () => {
    const good = v2(1, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    const flip = (at: number, value: number) => Buffer.from(good.map((b, i) => (i === at ? value : b)));
    bad(flip(7, 0x52), /no PROXY signature/);
    bad(flip(12, 0x11), /version 1 is not 2/);
    bad(flip(12, 0x22), /command 2/);
    bad(flip(13, 0x41), /0x41 are unknown/);
    bad(flip(13, 0x13), /0x13 are unknown/);
    bad(v2(1, 0x21, Buffer.alloc(12)), /need 36 bytes, the header has 12/);
    bad(v2(1, 0x11, Buffer.concat([inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([0x04, 0x00])])), /TLV at 0 is cut short/);
    bad(v2(1, 0x11, Buffer.concat([inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([0x04, 0x00, 0x09, 1])])), /announces 9 bytes, 1 are left/);
    const huge = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    bad(huge, /65551 bytes is longer than the 4096 taken/);
    expect(() => parseProxyHeader(good, { maxLength: 20 })).toThrow(/longer than the 20 taken/);
  });

  test('UNSPEC and unix families of the PROXY command carry no IP endpoints', () => {
    expect(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)))).toMatchObject({ complete: true, header: { command: 'proxy', family: 'unspec', source: null } });
    expect(parseProxyHeader(v2(1, 0x31, Buffer.alloc(216)))).toMatchObject({ complete: true, header: { command: 'proxy', family: 'unix-stream', source: null } });
  });
});

test('bytes that are neither version are refused at once', () => {
  bad('USER anonymous\r\n', /no PROXY signature/);
  bad('\r\n\r\nX', /no PROXY signature/);
  bad('GET / HTTP/1.0\r\n', /no PROXY signature/);
  expect(parseProxyHeader(Buffer.alloc(0))).toEqual({ complete: false, need: 1 });
});
