import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { escapeText, jsonLine } from '../../examples/miniftp/log-escape.js';
import { Logger, type LogEvent } from '../../examples/miniftp/log.js';
import { parseWorkerEvent } from '../../examples/miniftp/master/worker-log-privileged.js';
import { ctimeStamp } from '../../examples/miniftp/log-time.js';
import { syslogDatagram } from '../../examples/miniftp/syslog-writer.js';
import { xferlogLine } from '../../examples/miniftp/xferlog-line.js';

// Every character a log reader could take for a line end or a terminal control.
const C0 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i));
const C1 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i));
// (A low surrogate before a high one: both stay lone when joined.)
const OTHERS = ['\x7f', '\u2028', '\u2029', '\u202e', '\u200f', '\ufeff', '\udfff', '\ud800'];
const UNSAFE = [...C0, ...C1, ...OTHERS];
const RAW_UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202e\u200f\ufeff]|[\ud800-\udfff]/;

describe('escapeText', () => {
  test('every control, separator, format character and lone surrogate becomes \\xHH or \\uHHHH', () => {
    for (const char of UNSAFE) {
      const code = char.charCodeAt(0);
      const want = code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      expect(escapeText(`a${char}b`), `U+${code.toString(16)}`).toBe(`a${want}b`);
    }
  });

  test('printable text stays as it is; a backslash is doubled, so an escape cannot be forged', () => {
    expect(escapeText('café 日本 😀 "q" [b]')).toBe('café 日本 😀 "q" [b]');
    expect(escapeText('a\\x1b')).toBe('a\\\\x1b');
  });

  test('a field\'s own delimiters are escaped', () => {
    expect(escapeText('say "hi"', '"')).toBe('say \\x22hi\\x22');
    expect(escapeText('x] OK [y', '[]')).toBe('x\\x5d OK \\x5by');
  });
});

describe('jsonLine', () => {
  test('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { user: UNSAFE.join(''), path: 'ok/路径' };
    const line = jsonLine(value);
    expect(line).not.toMatch(RAW_UNSAFE);
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe('Logger', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-log-unit-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hostile = `evil${UNSAFE.join('')}name`;
  const events: LogEvent[] = [
    { type: 'connect', time: new Date(0), session: 's\n1', client: '127.0.0.1', user: null },
    { type: 'login', time: new Date(0), session: 's1', client: '127.0.0.1', user: hostile, ok: false, anonymous: false },
    { type: 'action', time: new Date(0), session: 's1', client: '127.0.0.1', user: 'u', action: 'mkdir', path: hostile, ok: true },
    { type: 'end', time: new Date(0), session: 's1', client: '127.0.0.1', user: hostile, reason: `quit${hostile}` },
    { type: 'refused', time: new Date(0), client: '127.0.0.1', reason: hostile },
  ];

  function written(json: boolean): string[] {
    const file = path.join(dir, json ? 'log.json' : 'log.txt');
    const fd = fs.openSync(file, 'a');
    const logger = new Logger({ vsftpdFd: fd, syslog: null, xferlogFd: null, protocol: false, json, localTime: false });
    for (const event of events) logger.write(event, 4242);
    fs.closeSync(fd);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.replaceAll('\n', '')).not.toMatch(RAW_UNSAFE);
    return text.split('\n').slice(0, -1);
  }

  test('text: one line per event, with the given pid and every field escaped', () => {
    const lines = written(false);
    expect(lines).toHaveLength(events.length);
    for (const line of lines) expect(line).toMatch(/^Thu Jan  1 00:00:00 1970 \[pid 4242\] /);
    expect(lines[0]).toContain('session s\\x0a1');
    expect(lines[2]).toContain('OK MKDIR: Client "127.0.0.1", "evil\\x00\\x01');
  });

  test('JSON: one object per line, with the given pid, equal to the event', () => {
    const lines = written(true);
    expect(lines).toHaveLength(events.length);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((p) => p.pid)).toEqual(events.map(() => 4242));
    expect(parsed[1]!.user).toBe(hostile);
    expect(parsed[2]!.path).toBe(hostile);
  });
});

describe('parseWorkerEvent', () => {
  const event = (fields: object): Buffer => Buffer.from(JSON.stringify(fields));
  const transfer = {
    type: 'transfer', time: '1999-01-01T00:00:00Z', session: 's1', client: '10.9.9.9', user: 'u',
    direction: 'download', path: '/f', bytes: 3, seconds: 0.5, result: 'ok', mode: 'binary', throttleWaits: 0,
  };

  test('keeps the fields a transfer has; the client and the time are the master\'s', () => {
    const before = Date.now();
    const parsed = parseWorkerEvent(event({ ...transfer, extra: 'dropped' }), '127.0.0.1');
    expect(parsed).toMatchObject({ ...transfer, client: '127.0.0.1', time: expect.any(Date) });
    expect(parsed.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(parsed).not.toHaveProperty('extra');
  });

  test('refuses what is not an event, naming the field', () => {
    const bad: Array<[Buffer, RegExp]> = [
      [Buffer.from('{'), /not JSON/],
      [event([1]), /not an object/],
      [event({ ...transfer, type: 'forge' }), /unknown type/],
      [event({ ...transfer, bytes: -1 }), /bytes must be a number/],
      [event({ ...transfer, seconds: 'NaN' }), /seconds must be a number/],
      [event({ ...transfer, direction: 'sideways' }), /direction must be one of download, upload/],
      [event({ ...transfer, path: 7 }), /path must be a string/],
      [event({ ...transfer, user: { name: 'x' } }), /user must be a string/],
      [event({ type: 'login', session: 's1', user: 'u', ok: 'yes', anonymous: false }), /ok must be true or false/],
      [event({ type: 'protocol', session: 's1', user: 'u', direction: 'both', text: 'x' }), /direction must be one of command, reply/],
    ];
    for (const [json, message] of bad) {
      expect(() => parseWorkerEvent(json, '127.0.0.1')).toThrow(message);
      try {
        parseWorkerEvent(json, '127.0.0.1');
      } catch (err) {
        expect((err as { code?: string }).code).toBe('EINVAL');
      }
    }
  });

  test('cuts a very long field', () => {
    const parsed = parseWorkerEvent(event({ type: 'end', session: 's1', user: null, reason: 'r'.repeat(100_000) }), '127.0.0.1');
    expect(parsed.type === 'end' && parsed.reason.length).toBeLessThan(5000);
  });
});

describe('xferlog and syslog lines', () => {
  const transfer = {
    type: 'transfer', time: new Date(Date.UTC(2004, 2, 4, 8, 12, 30)), session: 's1', client: '127.0.0.1', user: 'ftp',
    direction: 'download', path: '/pub/f.txt', bytes: 1024, seconds: 0.2, result: 'ok', mode: 'binary', throttleWaits: 0,
  } as const;

  test('ctime stamps: the day padded with a space', () => {
    expect(ctimeStamp(transfer.time, false)).toBe('Thu Mar  4 08:12:30 2004');
    expect(ctimeStamp(new Date(Date.UTC(2026, 11, 16, 23, 5, 9)), false)).toBe('Wed Dec 16 23:05:09 2026');
  });

  test('the wu-ftpd layout; time rounded up to at least 1; spaces and controls never split a field', () => {
    expect(xferlogLine(transfer, 'r', false)).toBe('Thu Mar  4 08:12:30 2004 1 127.0.0.1 1024 /pub/f.txt b _ o r ftp ftp 0 * c');
    expect(xferlogLine({ ...transfer, seconds: 2.01, direction: 'upload', mode: 'ascii', result: 'aborted' }, 'a', false))
      .toBe('Thu Mar  4 08:12:30 2004 3 127.0.0.1 1024 /pub/f.txt a _ i a ftp ftp 0 * i');
    const line = xferlogLine({ ...transfer, path: '/a b\tc\nd\u2028e', user: 'x y' }, 'r', false);
    expect(line.split(' ')).toHaveLength(19); // 5 of the time (with the day's padding), 14 fields
    expect(line).toContain(' /a_b\\x09c\\x0ad\\u2028e ');
    expect(line).toContain(' r x_y ftp ');
  });

  test('syslog datagrams: facility FTP, info or warning, tag with pid', () => {
    expect(syslogDatagram('[pid 1] OK LOGIN', false, 'miniftp', 42, transfer.time).toString()).toMatch(/^<94>Mar  4 \d\d:\d\d:30 miniftp\[42\]: \[pid 1\] OK LOGIN$/);
    expect(syslogDatagram('FAIL LOGIN', true, 'miniftp', 42, transfer.time).toString()).toMatch(/^<92>/);
  });
});
