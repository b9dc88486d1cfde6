import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  CommandLineSplitter,
  FtpSyntaxError,
  MAX_COMMAND_LINE_BYTES,
  formatCommand,
  parseCommand,
  type FramedLine,
} from '../../examples/ftp/index.js';

const IAC = 255;
const IP = 244;
const DM = 242;

function lines(items: FramedLine[]): string[] {
  return items.map((item) => (item.ok ? item.bytes.toString('latin1') : `!${item.error.code}`));
}

describe('CommandLineSplitter', () => {
  test('cuts at CRLF and at a bare LF', () => {
    const splitter = new CommandLineSplitter();
    expect(lines(splitter.push(Buffer.from('USER anna\r\nPASS secret\nPWD\r\n')))).toEqual(['USER anna', 'PASS secret', 'PWD']);
    expect(splitter.pendingBytes).toBe(0);
  });

  test('holds a partial line until its end arrives', () => {
    const splitter = new CommandLineSplitter();
    expect(splitter.push(Buffer.from('NO'))).toEqual([]);
    expect(splitter.pendingBytes).toBe(2);
    expect(splitter.push(Buffer.from('OP\r'))).toEqual([]);
    expect(lines(splitter.push(Buffer.from('\nQU')))).toEqual(['NOOP']);
    expect(splitter.pendingBytes).toBe(2);
  });

  test('an empty line and a lone CR are lines too (the parser refuses them)', () => {
    const splitter = new CommandLineSplitter();
    expect(lines(splitter.push(Buffer.from('\r\n\n\r\r\n')))).toEqual(['', '', '\r']);
  });

  test('IAC IP IAC DM before ABOR is stripped and marks the line', () => {
    const splitter = new CommandLineSplitter();
    const out = splitter.push(Buffer.from([IAC, IP, IAC, DM, ...Buffer.from('ABOR\r\nNOOP\r\n')]));
    expect(out).toEqual([
      { ok: true, bytes: Buffer.from('ABOR'), interrupted: true },
      { ok: true, bytes: Buffer.from('NOOP'), interrupted: false },
    ]);
  });

  test('when the urgent DM byte is lost, the lone IAC before ABOR is dropped', () => {
    // Without SO_OOBINLINE the kernel takes the urgent byte (DM) out of the stream.
    const splitter = new CommandLineSplitter();
    const out = splitter.push(Buffer.from([IAC, IP, IAC, ...Buffer.from('ABOR\r\n')]));
    expect(out).toEqual([{ ok: true, bytes: Buffer.from('ABOR'), interrupted: true }]);
  });

  test('Telnet negotiation and subnegotiation are removed; IAC IAC is a 0xFF byte', () => {
    const splitter = new CommandLineSplitter();
    const input = Buffer.from([
      ...Buffer.from('NO'), IAC, 251, 1, // WILL ECHO
      IAC, 254, 10, // DONT with option byte 10: not a line end
      IAC, 250, 24, 0, 10, 65, IAC, IAC, IAC, 240, // SB ... SE with LF and IAC IAC inside
      IAC, 241, // NOP
      ...Buffer.from('OP'), IAC, IAC, ...Buffer.from('\r\n'),
    ]);
    const out = splitter.push(input);
    expect(out).toEqual([{ ok: true, bytes: Buffer.from([...Buffer.from('NOOP'), 0xff]), interrupted: false }]);
  });

  test('a lone IAC before LF does not swallow the line end', () => {
    const splitter = new CommandLineSplitter();
    expect(lines(splitter.push(Buffer.from([...Buffer.from('PWD'), IAC, 10])))).toEqual(['PWD']);
  });

  test('the same lines whatever the chunking', () => {
    const input = Buffer.from([
      ...Buffer.from('USER a\r\n'), IAC, IP, IAC, DM, ...Buffer.from('ABOR\r\nRETR f'), IAC, IAC, ...Buffer.from('x\nPASV\r\n'),
      IAC, 250, 1, 2, IAC, 240, ...Buffer.from('QUIT\r\n'),
    ]);
    const whole = new CommandLineSplitter().push(input);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 10 }), (cuts) => {
        const splitter = new CommandLineSplitter();
        const got: FramedLine[] = [];
        let at = 0;
        for (let i = 0; at < input.length; i++) {
          const n = cuts[i % cuts.length]!;
          got.push(...splitter.push(input.subarray(at, at + n)));
          at += n;
        }
        expect(got).toEqual(whole);
      }),
      { numRuns: 200 },
    );
    expect(lines(whole)).toEqual(['USER a', 'ABOR', 'RETR f\xffx', 'PASV', 'QUIT']);
  });

  test('a line of exactly 4096 bytes passes; one byte more is refused at once, and the session goes on', () => {
    const splitter = new CommandLineSplitter();
    const ok = `STOR ${'a'.repeat(MAX_COMMAND_LINE_BYTES - 5)}`;
    expect(lines(splitter.push(Buffer.from(`${ok}\r\n`)))).toEqual([ok]);
    const out = splitter.push(Buffer.from(`STOR ${'a'.repeat(MAX_COMMAND_LINE_BYTES)}`));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ ok: false, error: { code: 'ERR_FTP_LINE_TOO_LONG', replyCode: 500 } });
    expect(splitter.pendingBytes).toBe(0);
    expect(splitter.push(Buffer.from('more of the same line'))).toEqual([]);
    expect(lines(splitter.push(Buffer.from(' end\r\nNOOP\r\n')))).toEqual(['NOOP']);
  });

  test('4097 bytes without CR is refused at its line end', () => {
    const splitter = new CommandLineSplitter();
    expect(lines(splitter.push(Buffer.from(`${'a'.repeat(MAX_COMMAND_LINE_BYTES + 1)}\nNOOP\n`)))).toEqual(['!ERR_FTP_LINE_TOO_LONG', 'NOOP']);
  });

  test('100 MB without a line end: one error, and memory stays at the cap', () => {
    const splitter = new CommandLineSplitter();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const out: FramedLine[] = [];
    for (let i = 0; i < 100; i++) out.push(...splitter.push(chunk));
    expect(lines(out)).toEqual(['!ERR_FTP_LINE_TOO_LONG']);
    expect(splitter.pendingBytes).toBe(0);
  });

  test('a custom cap', () => {
    const splitter = new CommandLineSplitter({ maxLineBytes: 8 });
    expect(lines(splitter.push(Buffer.from('12345678\r\n123456789\r\n')))).toEqual(['12345678', '!ERR_FTP_LINE_TOO_LONG']);
  });

  test('takeState hands the line in progress to a new splitter', () => {
    const first = new CommandLineSplitter();
    expect(lines(first.push(Buffer.from('USER u\r\nPASS p\r\nPW')))).toEqual(['USER u', 'PASS p']);
    const state = first.takeState();
    expect(state).toEqual({ partial: Buffer.from('PW'), discarding: false, interrupted: false });
    expect(first.pendingBytes).toBe(0);
    const second = new CommandLineSplitter({ state });
    expect(lines(second.push(Buffer.from('D\r\n')))).toEqual(['PWD']);
  });

  test('takeState keeps 0xFF data bytes, a cut Telnet sequence, the interrupt mark and the skipping of a long line', () => {
    const cases: Buffer[] = [
      Buffer.from([...Buffer.from('RETR '), IAC, IAC, 0x41]),
      Buffer.from([IAC, IP, IAC]),
      Buffer.from([...Buffer.from('NO'), IAC, 250, 1, IAC]),
      Buffer.from([...Buffer.from('NO'), IAC, 253]),
      Buffer.from('x'.repeat(5000)),
    ];
    const rest = Buffer.from([240, 10, ...Buffer.from('ABOR\r\nNOOP\r\n')]);
    for (const start of cases) {
      const reference = new CommandLineSplitter();
      const expected = [...reference.push(start), ...reference.push(rest)];
      const first = new CommandLineSplitter();
      const early = first.push(start);
      const second = new CommandLineSplitter({ state: first.takeState() });
      expect([...early, ...second.push(rest)]).toEqual(expected);
    }
  });

  test('a state holding a complete line is refused', () => {
    expect(() => new CommandLineSplitter({ state: { partial: Buffer.from('NOOP\n'), discarding: false, interrupted: false } }))
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  test('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const splitter = new CommandLineSplitter({ maxLineBytes: 64 });
        for (const chunk of chunks) {
          for (const item of splitter.push(Buffer.from(chunk))) {
            if (item.ok) expect(item.bytes.length).toBeLessThanOrEqual(64);
          }
          expect(splitter.pendingBytes).toBeLessThanOrEqual(65);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCommand', () => {
  test('verb in upper case, argument kept as sent', () => {
    expect(parseCommand(Buffer.from('USER anonymous'))).toEqual({ verb: 'USER', arg: 'anonymous' });
    expect(parseCommand(Buffer.from('retr my file.txt'))).toEqual({ verb: 'RETR', arg: 'my file.txt' });
    expect(parseCommand(Buffer.from('CWD  leading and trailing '))).toEqual({ verb: 'CWD', arg: ' leading and trailing ' });
    expect(parseCommand(Buffer.from('PWD'))).toEqual({ verb: 'PWD', arg: '' });
    expect(parseCommand(Buffer.from('NOOP '))).toEqual({ verb: 'NOOP', arg: '' });
    expect(parseCommand(Buffer.from('STOR données/ファイル.txt'))).toEqual({ verb: 'STOR', arg: 'données/ファイル.txt' });
    expect(parseCommand(Buffer.from('Opts UTF8 ON'))).toEqual({ verb: 'OPTS', arg: 'UTF8 ON' });
  });

  test.each([
    ['an empty line', '', 'ERR_FTP_EMPTY_LINE'],
    ['a NUL byte', 'RETR a\0b', 'ERR_FTP_NUL_BYTE'],
    ['a NUL in the verb', 'RE\0TR x', 'ERR_FTP_NUL_BYTE'],
    ['a bare CR inside', 'RETR a\rDELE b', 'ERR_FTP_CONTROL_CHARACTER'],
    ['a LF inside', 'RETR a\nDELE b', 'ERR_FTP_CONTROL_CHARACTER'],
    ['digits in the verb', 'R3TR x', 'ERR_FTP_BAD_VERB'],
    ['a leading space', ' USER x', 'ERR_FTP_BAD_VERB'],
    ['a tab separator', 'USER\tx', 'ERR_FTP_BAD_VERB'],
    ['a verb of nine letters', 'ABCDEFGHI x', 'ERR_FTP_BAD_VERB'],
    ['a reply code as verb', '230 x', 'ERR_FTP_BAD_VERB'],
    ['a non-ASCII verb', 'RÉTR x', 'ERR_FTP_BAD_VERB'],
  ])('refuses %s', (_, input, code) => {
    expect(() => parseCommand(Buffer.from(input))).toThrow(expect.objectContaining({ code, replyCode: 500 }));
  });

  test('refuses invalid UTF-8: bad continuation, overlong form, surrogate, 0xFF', () => {
    for (const bytes of [[0x52, 0x45, 0x54, 0x52, 0x20, 0xc3, 0x28], [0x43, 0x57, 0x44, 0x20, 0xc0, 0xaf], [0x43, 0x57, 0x44, 0x20, 0xed, 0xa0, 0x80], [0x43, 0x57, 0x44, 0x20, 0xff]]) {
      expect(() => parseCommand(Buffer.from(bytes))).toThrow(expect.objectContaining({ code: 'ERR_FTP_INVALID_UTF8', replyCode: 500 }));
    }
  });

  test('refuses a line over the cap', () => {
    expect(parseCommand(Buffer.from(`STOR ${'a'.repeat(4091)}`)).arg).toHaveLength(4091);
    expect(() => parseCommand(Buffer.from(`STOR ${'a'.repeat(4092)}`))).toThrow(expect.objectContaining({ code: 'ERR_FTP_LINE_TOO_LONG' }));
    expect(() => parseCommand(Buffer.from('NOOP 12'), 6)).toThrow(FtpSyntaxError);
  });
});

describe('formatCommand', () => {
  test('verb and argument with CRLF', () => {
    expect(formatCommand('USER', 'anna')).toBe('USER anna\r\n');
    expect(formatCommand('PASV')).toBe('PASV\r\n');
    expect(formatCommand('RETR', ' spaced name ')).toBe('RETR  spaced name \r\n');
  });

  test.each([
    ['CRLF', 'a\r\nDELE b', 'ERR_FTP_CONTROL_CHARACTER'],
    ['LF', 'a\nDELE b', 'ERR_FTP_CONTROL_CHARACTER'],
    ['CR', 'a\rb', 'ERR_FTP_CONTROL_CHARACTER'],
    ['NUL', 'a\0b', 'ERR_FTP_NUL_BYTE'],
  ])('refuses %s in the argument (command injection)', (_, arg, code) => {
    expect(() => formatCommand('RETR', arg)).toThrow(expect.objectContaining({ code }));
  });

  test('refuses a malformed verb', () => {
    for (const verb of ['', 'RE TR', 'RETR\r\n', 'TOOLONGVERB', '1234']) {
      expect(() => formatCommand(verb)).toThrow(expect.objectContaining({ code: 'ERR_FTP_BAD_VERB' }));
    }
  });

  test('what the client formats, the server splits and parses back', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USER', 'RETR', 'cwd', 'Stor'),
        fc.string({ maxLength: 50, unit: 'grapheme' }).filter((s) => !/[\r\n\0]/.test(s)),
        (verb, arg) => {
          const [line] = new CommandLineSplitter().push(Buffer.from(formatCommand(verb, arg)));
          expect(line?.ok).toBe(true);
          if (line?.ok) expect(parseCommand(line.bytes)).toEqual({ verb: verb.toUpperCase(), arg });
        },
      ),
      { numRuns: 300 },
    );
  });
});
