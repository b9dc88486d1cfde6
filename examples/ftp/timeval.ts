// RFC 3659's time-val, YYYYMMDDHHMMSS[.sss] in UTC: what MDTM replies carry and
// MLSx's modify fact holds. Pure.

const timeValPattern = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * Formats a time as RFC 3659's time-val in UTC, whole seconds: `20240131235959`.
 * @throws RangeError (ERR_OUT_OF_RANGE) for an invalid Date or a year outside 0..9999
 */
export function formatTimeVal(date: Date): string {
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw Object.assign(new RangeError(`The value of "date" is out of range. It must be a valid date in years 0..9999. Received ${String(date)}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}` +
    `${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

/**
 * Parses RFC 3659's time-val (UTC, optional fraction of a second kept to the
 * millisecond). Null when `text` is not one or names an impossible time
 * (month 13, February 30, hour 24); leap seconds (:60) are refused too.
 */
export function parseTimeVal(text: string): Date | null {
  const m = timeValPattern.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  // Date.UTC maps years 0..99 to 1900..1999; set the year again to keep it.
  date.setUTCFullYear(year);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getUTCHours() !== hour ||
      date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second) {
    return null;
  }
  return date;
}
