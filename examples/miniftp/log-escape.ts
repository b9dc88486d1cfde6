// Escaping for miniftp's log: every field that came from a client or a
// worker (user names, paths, reasons) is written so that it can neither end
// a line nor move the cursor of whoever reads the log on a terminal.

// C0 and C1 controls and DEL (Cc), format characters such as bidi overrides
// (Cf), the Unicode line and paragraph separators (Zl, Zp) and lone UTF-16
// surrogates (Cs: what invalid UTF-8 cannot become in a well-formed string).
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const UNSAFE_IN_TEXT = /[\\"\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function hexEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A field for the text log: backslash, double quote and every unsafe character escaped (\\, \", \xHH, \uHHHH). */
export function escapeText(value: string): string {
  return value.replace(UNSAFE_IN_TEXT, (char) => (char === '\\' || char === '"' ? `\\${char}` : hexEscape(char)));
}

/**
 * One JSON line: JSON.stringify escapes C0 controls and lone surrogates
 * already; this escapes what it leaves raw (DEL, C1, Cf, U+2028/U+2029),
 * as \uHHHH, which only ever occur inside strings.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
