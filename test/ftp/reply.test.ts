import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { FtpError, FtpProtocolError, ReplyParser, formatReply, isFailure, replyError } from '../../examples/ftp/index.js';

describe('formatReply', () => {
  test('a single line', () => {
    expect(formatReply(220, '(miniftp 0.1)')).toBe('220 (miniftp 0.1)\r\n');
    expect(formatReply(200, '')).toBe('200 \r\n');
    expect(formatReply(226, [])).toBe('226 \r\n');
  });

  test('multi-line, RFC 959 4.2', () => {
    expect(formatReply(211, ['Features:', ' EPRT', ' EPSV', 'End'])).toBe('211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n');
    expect(formatReply(214, ['a', 'b'])).toBe('214-a\r\n214 b\r\n');
    expect(formatReply(230, 'line one\nline two')).toBe('230-line one\r\n230 line two\r\n');
  });

  test('a middle line starting with digits is indented so it cannot end the reply', () => {
    expect(formatReply(211, ['Status:', '211 forged end', '42 files', 'End'])).toBe('211-Status:\r\n 211 forged end\r\n 42 files\r\n211 End\r\n');
  });

  test('CR, LF and NUL from a file name cannot forge a reply', () => {
    const evil = 'x\r\n230 Login successful\r\nfoo\0bar';
    const out = formatReply(550, `${evil}: No such file`);
    expect(out).toBe('550-x\r\n 230 Login successful\r\n550 foobar: No such file\r\n');
    const parser = new ReplyParser();
    expect(parser.push(out)).toEqual([{ code: 550, lines: ['x', ' 230 Login successful', 'foobar: No such file'], text: 'x\n 230 Login successful\nfoobar: No such file' }]);
    expect(formatReply(257, 'a\rb')).toBe('257-a\r\n257 b\r\n');
  });

  test('refuses codes outside 100..599', () => {
    for (const code of [99, 600, 0, -200, 200.5, Number.NaN]) {
      expect(() => formatReply(code, 'x')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });
});

describe('ReplyParser', () => {
  test('single-line replies, several per chunk', () => {
    const parser = new ReplyParser();
    expect(parser.push('220 ready\r\n331 Please specify the password.\r\n')).toEqual([
      { code: 220, lines: ['ready'], text: 'ready' },
      { code: 331, lines: ['Please specify the password.'], text: 'Please specify the password.' },
    ]);
    expect(parser.pendingBytes).toBe(0);
  });

  test('a reply split at every byte', () => {
    const parser = new ReplyParser();
    const bytes = Buffer.from('211-Features:\r\n EPSV\r\n211 End\r\n');
    const replies = [];
    for (const byte of bytes) replies.push(...parser.push(Buffer.from([byte])));
    expect(replies).toEqual([{ code: 211, lines: ['Features:', ' EPSV', 'End'], text: 'Features:\n EPSV\nEnd' }]);
  });

  test('bare LF line ends, and a code with no text', () => {
    const parser = new ReplyParser();
    expect(parser.push('200 ok\n200\n')).toEqual([
      { code: 200, lines: ['ok'], text: 'ok' },
      { code: 200, lines: [''], text: '' },
    ]);
  });

  test('multi-line: middle lines that look like replies do not end it', () => {
    const parser = new ReplyParser();
    const replies = parser.push('230-Welcome\r\n230-second\r\n220 other code\r\n230x not the end\r\n230 done\r\n');
    expect(replies).toEqual([{
      code: 230,
      lines: ['Welcome', '230-second', '220 other code', '230x not the end', 'done'],
      text: 'Welcome\n230-second\n220 other code\n230x not the end\ndone',
    }]);
  });

  test('a reply held back until its last line arrives', () => {
    const parser = new ReplyParser();
    expect(parser.push('150-Here comes\r\n')).toEqual([]);
    expect(parser.pendingBytes).toBe(16);
    expect(parser.push('150 the listing\r\n226 Directory send OK.\r')).toEqual([
      { code: 150, lines: ['Here comes', 'the listing'], text: 'Here comes\nthe listing' },
    ]);
    expect(parser.push('\n')).toEqual([{ code: 226, lines: ['Directory send OK.'], text: 'Directory send OK.' }]);
  });

  test('invalid UTF-8 from a server is replaced, not fatal', () => {
    const parser = new ReplyParser();
    const [reply] = parser.push(Buffer.concat([Buffer.from('550 caf'), Buffer.from([0xe9]), Buffer.from(': No such file\r\n')]));
    expect(reply).toEqual({ code: 550, lines: ['caf\ufffd: No such file'], text: 'caf\ufffd: No such file' });
  });

  test.each([
    ['no code', 'hello\r\n'],
    ['a two-digit code', '22 x\r\n'],
    ['code 600', '600 x\r\n'],
    ['code 099', '099 x\r\n'],
    ['a wrong separator', '220_x\r\n'],
    ['an empty line', '\r\n'],
    ['HTML', '<html>\r\n'],
  ])('a malformed first line (%s) is a protocol error', (_, input) => {
    const parser = new ReplyParser();
    expect(() => parser.push(input)).toThrow(FtpProtocolError);
    expect(() => new ReplyParser().push(input)).toThrow(expect.objectContaining({ code: 'ERR_FTP_PROTOCOL' }));
  });

  test('the parser stays failed after an error', () => {
    const parser = new ReplyParser();
    expect(() => parser.push('junk\r\n')).toThrow(FtpProtocolError);
    expect(() => parser.push('200 ok\r\n')).toThrow(/malformed reply line "junk"/);
  });

  test('a line over the cap is refused while it is still arriving', () => {
    const parser = new ReplyParser({ maxLineBytes: 100 });
    expect(parser.push(`200 ${'a'.repeat(96)}\r\n`)).toHaveLength(1);
    expect(parser.push(`200 ${'a'.repeat(90)}`)).toEqual([]);
    expect(() => parser.push('b'.repeat(20))).toThrow(/reply line longer than 100 bytes/);
  });

  test('8 KiB lines by default; a megabyte without LF is refused without buffering it', () => {
    const parser = new ReplyParser();
    expect(parser.push(`200 ${'x'.repeat(8 * 1024 - 4)}\r\n`)).toHaveLength(1);
    expect(() => parser.push(Buffer.alloc(1024 * 1024, 0x41))).toThrow(FtpProtocolError);
  });

  test('a reply over the cap is refused, even of short lines', () => {
    const parser = new ReplyParser({ maxReplyBytes: 1000 });
    expect(parser.push('211-start\r\n')).toEqual([]);
    expect(() => {
      for (let i = 0; i < 200; i++) parser.push(' feature line\r\n');
    }).toThrow(/reply longer than 1000 bytes/);
    const big = new ReplyParser();
    big.push('211-start\r\n');
    expect(() => {
      for (let i = 0; i < 10_000; i++) big.push(' 123456789\r\n');
    }).toThrow(/reply longer than 65536 bytes/);
  });

  test('end() reports a reply cut short by the connection closing', () => {
    const parser = new ReplyParser();
    parser.push('200 ok\r\n');
    expect(() => parser.end()).not.toThrow();
    parser.push('226-partial\r\n');
    expect(() => parser.end()).toThrow(expect.objectContaining({ code: 'ERR_FTP_PROTOCOL' }));
    const half = new ReplyParser();
    half.push('22');
    expect(() => half.end()).toThrow(/connection closed in the middle of a reply/);
  });

  test('whatever formatReply writes, the parser reads back, in any chunking', () => {
    const lineText = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/g, ''));
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.array(lineText, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        (code, lines, cuts) => {
          const wire = Buffer.from(formatReply(code, lines));
          const parser = new ReplyParser();
          const replies = [];
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const n = cuts[i % cuts.length]!;
            replies.push(...parser.push(wire.subarray(at, at + n)));
            at += n;
          }
          expect(replies).toHaveLength(1);
          expect(replies[0]!.code).toBe(code);
          const expected = lines.length === 1 ? lines : [lines[0]!, ...lines.slice(1, -1).map((l) => (/^\d/.test(l) ? ` ${l}` : l)), lines[lines.length - 1]!];
          expect(replies[0]!.lines).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('failure replies', () => {
  test('FtpError carries the reply code', () => {
    const [reply] = new ReplyParser().push('550-Failed to open file.\r\n550 Permission denied.\r\n');
    expect(isFailure(reply!)).toBe(true);
    const err = replyError(reply!);
    expect(err).toBeInstanceOf(FtpError);
    expect(err).toMatchObject({ code: 550, text: 'Failed to open file.\nPermission denied.', name: 'FtpError' });
    expect(isFailure({ code: 350, lines: [''], text: '' })).toBe(false);
  });
});
