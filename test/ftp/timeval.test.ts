import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { formatTimeVal, parseTimeVal } from '../../examples/ftp/index.js';

describe('time-val (RFC 3659)', () => {
  test('formats in UTC, whole seconds', () => {
    expect(formatTimeVal(new Date(Date.UTC(2024, 0, 31, 23, 59, 59, 999)))).toBe('20240131235959');
    expect(formatTimeVal(new Date(0))).toBe('19700101000000');
    expect(() => formatTimeVal(new Date(Number.NaN))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => formatTimeVal(new Date(Date.UTC(10000, 0, 1)))).toThrow(RangeError);
  });

  test('parses, with an optional fraction', () => {
    expect(parseTimeVal('19980615100045')).toEqual(new Date(Date.UTC(1998, 5, 15, 10, 0, 45)));
    expect(parseTimeVal('19980615100045.014')).toEqual(new Date(Date.UTC(1998, 5, 15, 10, 0, 45, 14)));
    expect(parseTimeVal('19980615100045.5')).toEqual(new Date(Date.UTC(1998, 5, 15, 10, 0, 45, 500)));
    expect(parseTimeVal('00500101000000')?.getUTCFullYear()).toBe(50);
    expect(parseTimeVal('20240229120000')).toEqual(new Date(Date.UTC(2024, 1, 29, 12)));
  });

  test.each([
    '2024013123595', '202401312359590', '20241301000000', '20240230000000', '20230229000000', '20240101240000',
    '20240101236000', '20240101235960', '2024-01-01 00:00', '', '20240101000000.', '20240101000000Z', ' 20240101000000',
  ])('refuses %j', (text) => {
    expect(parseTimeVal(text)).toBeNull();
  });

  test('format then parse gives the same second', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (date) => {
        const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
        expect(parseTimeVal(formatTimeVal(date))).toEqual(whole);
      }),
    );
  });
});
