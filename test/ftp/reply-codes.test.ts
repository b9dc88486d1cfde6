import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPLY_CODES, ReplyCode, defaultReplyText, isReplyCode, replyCodeName, replyKind } from '../../examples/ftp/index.js';

describe('reply codes', () => {
  test('names map to the numbers of RFC 959 and vsftpd ftpcodes.h', () => {
    expect(ReplyCode.FileStatusOk).toBe(150);
    expect(ReplyCode.ServiceReady).toBe(220);
    expect(ReplyCode.ClosingDataConnection).toBe(226);
    expect(ReplyCode.EnteringPassiveMode).toBe(227);
    expect(ReplyCode.EnteringExtendedPassiveMode).toBe(229);
    expect(ReplyCode.LoggedIn).toBe(230);
    expect(ReplyCode.PathnameCreated).toBe(257);
    expect(ReplyCode.NeedPassword).toBe(331);
    expect(ReplyCode.PendingFurtherInformation).toBe(350);
    expect(ReplyCode.ServiceNotAvailable).toBe(421);
    expect(ReplyCode.CannotOpenDataConnection).toBe(425);
    expect(ReplyCode.TransferAborted).toBe(426);
    expect(ReplyCode.NotLoggedIn).toBe(530);
    expect(ReplyCode.FileUnavailable).toBe(550);
    expect(ReplyCode.FileNameNotAllowed).toBe(553);
  });

  test('the table holds every code the server and client use, each once', () => {
    const codes = Object.values(REPLY_CODES).map((entry) => entry.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of [110, 120, 125, 150, 200, 202, 211, 212, 213, 214, 215, 220, 221, 225, 226, 227, 229, 230, 250, 257,
      331, 332, 350, 421, 425, 426, 430, 450, 451, 452, 500, 501, 502, 503, 504, 522, 530, 532, 550, 551, 552, 553]) {
      expect(codes).toContain(code);
    }
    expect(Object.isFrozen(ReplyCode)).toBe(true);
  });

  test('lookups by number', () => {
    expect(replyCodeName(230)).toBe('LoggedIn');
    expect(replyCodeName(999)).toBeUndefined();
    expect(defaultReplyText(530)).toBe('Not logged in');
    expect(defaultReplyText(299)).toBeUndefined();
  });

  test('the kind follows the first digit', () => {
    expect(replyKind(150)).toBe('preliminary');
    expect(replyKind(226)).toBe('completion');
    expect(replyKind(350)).toBe('intermediate');
    expect(replyKind(421)).toBe('transientFailure');
    expect(replyKind(550)).toBe('permanentFailure');
    expect(() => replyKind(600)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => replyKind(99)).toThrow(RangeError);
    expect(isReplyCode(200.5)).toBe(false);
  });
});

describe('the applications speak of reply codes by name', () => {
  const examples = path.resolve(import.meta.dirname, '../../examples');
  // A reply sent, a reply code compared or built: with a bare number where a name belongs.
  const bare = /\b(?:reply|disconnect)\([^,()]*\b[1-5]\d\d\b|\bcode: [1-5]\d\d\b|\b(?:code|replyCode) [!=]== [1-5]\d\d\b|'[1-5]\d\d [A-Z]|\bcase [1-5]\d\d:|\bnew (?:FtpError|Set)\(\[?[1-5]\d\d\b|\bexpect\([^()]*(?:\([^()]*\))?[^()]*, [1-5]\d\d\b/;

  test.each(['miniftp', 'ftpfs'])('examples/%s has no bare reply code', (app) => {
    const dir = path.join(examples, app);
    const offenders: string[] = [];
    for (const name of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.ts'))) {
      fs.readFileSync(path.join(dir, name), 'utf8').split('\n').forEach((line, i) => {
        if (!/^\s*(\/\/|\*)/.test(line) && bare.test(line)) offenders.push(`${app}/${name}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
