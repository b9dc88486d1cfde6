import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  FtpProtocolError,
  addressBytes,
  addressFamily,
  decodeEprt,
  decodeHostPort,
  encodeEprt,
  encodeHostPort,
  epsvReplyText,
  normalizeAddress,
  parseEpsvArgument,
  parseEpsvReply,
  parsePasvReply,
  pasvReplyText,
  sameAddress,
} from '../../examples/ftp/index.js';

describe('PORT / PASV h1,h2,h3,h4,p1,p2', () => {
  test('encodes', () => {
    expect(encodeHostPort('192.168.1.2', 5001)).toBe('192,168,1,2,19,137');
    expect(encodeHostPort('::ffff:127.0.0.1', 65535)).toBe('127,0,0,1,255,255');
    expect(encodeHostPort('10.0.0.1', 1)).toBe('10,0,0,1,0,1');
  });

  test('refuses what PORT cannot carry', () => {
    expect(() => encodeHostPort('::1', 21)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => encodeHostPort('example.com', 21)).toThrow(TypeError);
    for (const port of [0, 65536, -1, 1.5, Number.NaN]) {
      expect(() => encodeHostPort('1.2.3.4', port)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });

  test('decodes a PORT argument', () => {
    expect(decodeHostPort('127,0,0,1,4,1')).toEqual({ host: '127.0.0.1', port: 1025 });
    expect(decodeHostPort('192,168,001,010,0,21')).toEqual({ host: '192.168.1.10', port: 21 });
    expect(decodeHostPort('255,255,255,255,255,255')).toEqual({ host: '255.255.255.255', port: 65535 });
  });

  test.each([
    ['a number over 255', '256,0,0,1,4,1'],
    ['a port byte over 255', '127,0,0,1,256,1'],
    ['a negative number', '127,0,0,1,-4,1'],
    ['five numbers', '127,0,0,1,4'],
    ['seven numbers', '127,0,0,1,4,1,1'],
    ['spaces', '127, 0, 0, 1, 4, 1'],
    ['parentheses', '(127,0,0,1,4,1)'],
    ['a trailing comma', '127,0,0,1,4,1,'],
    ['a sign', '+127,0,0,1,4,1'],
    ['four digits', '0127,0,0,1,4,1'],
    ['hex', '0x7f,0,0,1,4,1'],
    ['port 0', '127,0,0,1,0,0'],
    ['empty', ''],
    ['dots', '127.0.0.1.4.1'],
    ['a CRLF', '127,0,0,1,4,1\r\n'],
  ])('refuses %s with a 501', (_, arg) => {
    expect(() => decodeHostPort(arg)).toThrow(expect.objectContaining({ code: 'ERR_FTP_BAD_ARGUMENT', replyCode: 501 }));
  });

  test('encode and decode are inverse', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        expect(decodeHostPort(encodeHostPort(host, port))).toEqual({ host, port });
      }),
    );
  });

  test('the 227 reply text', () => {
    expect(pasvReplyText('127.0.0.1', 50000)).toBe('Entering Passive Mode (127,0,0,1,195,80).');
  });

  test.each([
    ['vsftpd', 'Entering Passive Mode (127,0,0,1,195,80).', '127.0.0.1', 50000],
    ['no parentheses', 'Entering Passive Mode 10,1,2,3,4,5', '10.1.2.3', 1029],
    ['spaces after commas', 'Entering Passive Mode (10, 1, 2, 3, 4, 5)', '10.1.2.3', 1029],
    ['equals sign (some Windows servers)', 'Entering Passive Mode =10,1,2,3,4,5', '10.1.2.3', 1029],
    ['text after', 'PASV ok 192,168,0,9,39,16 go ahead', '192.168.0.9', 10000],
  ])('parses a 227 reply: %s', (_, text, host, port) => {
    expect(parsePasvReply(text)).toEqual({ host, port });
  });

  test('a 227 reply without a valid address is a protocol error', () => {
    for (const text of ['Entering Passive Mode', 'Entering Passive Mode (1,2,3,4,5)', 'Entering Passive Mode (300,2,3,4,5,6)', '(1,2,3,4,0,0)']) {
      expect(() => parsePasvReply(text)).toThrow(FtpProtocolError);
    }
  });
});

describe('EPRT', () => {
  test('encodes both families', () => {
    expect(encodeEprt('132.235.1.2', 6275)).toBe('|1|132.235.1.2|6275|');
    expect(encodeEprt('1080::8:800:200C:417A', 5282)).toBe('|2|1080::8:800:200c:417a|5282|');
    expect(encodeEprt('::ffff:10.0.0.1', 1024)).toBe('|1|10.0.0.1|1024|');
    expect(() => encodeEprt('nonsense', 21)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => encodeEprt('::1', 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('decodes the RFC 2428 examples', () => {
    expect(decodeEprt('|1|132.235.1.2|6275|')).toEqual({ family: 'IPv4', host: '132.235.1.2', port: 6275 });
    expect(decodeEprt('|2|1080::8:800:200C:417A|5282|')).toEqual({ family: 'IPv6', host: '1080::8:800:200c:417a', port: 5282 });
  });

  test('any delimiter in 33..126', () => {
    expect(decodeEprt('!1!10.0.0.1!2000!')).toEqual({ family: 'IPv4', host: '10.0.0.1', port: 2000 });
    expect(decodeEprt('~2~::1~65535~')).toEqual({ family: 'IPv6', host: '::1', port: 65535 });
    expect(decodeEprt('#2#::ffff:1.2.3.4#21#')).toEqual({ family: 'IPv6', host: '::ffff:1.2.3.4', port: 21 });
  });

  test.each([
    ['a space delimiter', ' 1 10.0.0.1 2000 '],
    ['a DEL delimiter', '\x7f1\x7f10.0.0.1\x7f2000\x7f'],
    ['mixed delimiters', '|1!10.0.0.1|2000|'],
    ['a missing end delimiter', '|1|10.0.0.1|2000'],
    ['an extra field', '|1|10.0.0.1|2000|x|'],
    ['IPv6 under protocol 1', '|1|::1|2000|'],
    ['IPv4 under protocol 2', '|2|10.0.0.1|2000|'],
    ['a bad IPv4', '|1|256.0.0.1|2000|'],
    ['leading zeros in IPv4', '|1|010.0.0.1|2000|'],
    ['a bad IPv6', '|2|1:::2|2000|'],
    ['an IPv6 zone', '|2|fe80::1%eth0|2000|'],
    ['a host name', '|1|example.com|2000|'],
    ['port 0', '|1|10.0.0.1|0|'],
    ['port 65536', '|1|10.0.0.1|65536|'],
    ['a negative port', '|1|10.0.0.1|-1|'],
    ['an empty port', '|1|10.0.0.1||'],
    ['empty', ''],
  ])('refuses %s with a 501', (_, arg) => {
    expect(() => decodeEprt(arg)).toThrow(expect.objectContaining({ code: 'ERR_FTP_BAD_ARGUMENT', replyCode: 501 }));
  });

  test('an unknown network protocol is a 522', () => {
    for (const arg of ['|3|10.0.0.1|2000|', '||10.0.0.1|2000|', '|x|10.0.0.1|2000|']) {
      expect(() => decodeEprt(arg)).toThrow(expect.objectContaining({ code: 'ERR_FTP_UNSUPPORTED_PROTOCOL', replyCode: 522 }));
    }
  });

  test('encode and decode are inverse', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const decoded = decodeEprt(encodeEprt(host, port));
        expect(decoded.port).toBe(port);
        expect(sameAddress(decoded.host, host)).toBe(true);
      }),
    );
  });
});

describe('EPSV', () => {
  test('the 229 reply text and its parser', () => {
    expect(epsvReplyText(6446)).toBe('Entering Extended Passive Mode (|||6446|)');
    expect(parseEpsvReply('Entering Extended Passive Mode (|||6446|)')).toBe(6446);
    expect(parseEpsvReply('Entering Extended Passive Mode (!!!1!)')).toBe(1);
    expect(parseEpsvReply('EPSV ok (###65535#) more')).toBe(65535);
    expect(() => epsvReplyText(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('a 229 reply without a valid port is a protocol error', () => {
    for (const text of ['Entering Extended Passive Mode', '(|||0|)', '(|||65536|)', '(||6446|)', '(|!|6446|)', '(|||abc|)', '(   6446 )']) {
      expect(() => parseEpsvReply(text)).toThrow(FtpProtocolError);
    }
  });

  test('the EPSV argument', () => {
    expect(parseEpsvArgument('')).toEqual({ kind: 'any' });
    expect(parseEpsvArgument('ALL')).toEqual({ kind: 'all' });
    expect(parseEpsvArgument('all')).toEqual({ kind: 'all' });
    expect(parseEpsvArgument('1')).toEqual({ kind: 'family', family: 'IPv4' });
    expect(parseEpsvArgument('2')).toEqual({ kind: 'family', family: 'IPv6' });
    expect(() => parseEpsvArgument('3')).toThrow(expect.objectContaining({ replyCode: 522 }));
    expect(() => parseEpsvArgument('ALLX')).toThrow(expect.objectContaining({ code: 'ERR_FTP_BAD_ARGUMENT', replyCode: 501 }));
  });
});

describe('address comparison', () => {
  test('IPv4-mapped IPv6 is IPv4', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(normalizeAddress('0:0:0:0:0:ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress('FE80::1')).toBe('fe80::1');
    expect(normalizeAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeAddress('nonsense')).toBeNull();
    expect(addressFamily('::ffff:1.2.3.4')).toBe('IPv4');
    expect(addressFamily('::1')).toBe('IPv6');
    expect(addressFamily('1.2.3')).toBeNull();
  });

  test('sameAddress compares the 16 bytes', () => {
    expect(sameAddress('127.0.0.1', '::ffff:127.0.0.1')).toBe(true);
    expect(sameAddress('::1', '0:0:0:0:0:0:0:1')).toBe(true);
    expect(sameAddress('2001:db8::1', '2001:DB8:0::0:1')).toBe(true);
    expect(sameAddress('127.0.0.1', '127.0.0.2')).toBe(false);
    expect(sameAddress('::1', '127.0.0.1')).toBe(false);
    // Only ::ffff:a.b.c.d is IPv4; the deprecated IPv4-compatible ::a.b.c.d is not.
    expect(sameAddress('::127.0.0.1', '127.0.0.1')).toBe(false);
    // Invalid addresses equal nothing, not even themselves: checks fail closed.
    expect(sameAddress('garbage', 'garbage')).toBe(false);
    expect(sameAddress('', '')).toBe(false);
  });

  test.each([
    '1:2:3:4:5:6:7:8:9', '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '12345::', 'g::1', '::ffff:1.2.3', '1.2.3.4::',
    '::1.2.3.4:5', '01.2.3.4', '1.2.3.256', '1.2.3.4.5', ' 1.2.3.4', '1:2:3:4:5:6:7::8', '',
  ])('addressBytes refuses %j', (text) => {
    expect(addressBytes(text)).toBeNull();
  });

  test('addressBytes agrees with fast-check generated addresses', () => {
    fc.assert(
      fc.property(fc.ipV6(), (host) => {
        expect(addressBytes(host)).not.toBeNull();
        expect(sameAddress(host, host.toUpperCase())).toBe(true);
      }),
    );
  });
});
