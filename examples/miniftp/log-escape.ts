// Escaping for miniftp's log: every field that came from a client or a
// worker (user names, paths, reasons) is written so that it can neither end
// a line, nor leave its quotes or brackets, nor move the cursor of whoever
// reads the log on a terminal.

// C0 and C1 controls and DEL (Cc), format characters such as bidi overrides
// (Cf), the Unicode line and paragraph separators (Zl, Zp) and lone UTF-16
// surrogates (Cs: what invalid UTF-8 cannot become in a well-formed string).
const UNSAFE = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}';
const UNSAFE_IN_JSON = new RegExp(`[${UNSAFE}]`, 'gu');

/** The characters that delimit a text field: none, double quotes, or square brackets. */
export type Delimiters = '' | '"' | '[]';

const UNSAFE_IN_TEXT: Record<Delimiters, RegExp> = {
  '': new RegExp(`[\\\\${UNSAFE}]`, 'gu'),
  '"': new RegExp(`[\\\\"${UNSAFE}]`, 'gu'),
  '[]': new RegExp(`[\\\\\\[\\]${UNSAFE}]`, 'gu'),
};

function hexEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A field for the text log: a backslash doubled; every unsafe character,
 * and the field's own `delimiters`, as \xHH or \uHHHH.
 */
export function escapeText(value: string, delimiters: Delimiters = ''): string {
  return value.replace(UNSAFE_IN_TEXT[delimiters], (char) => (char === '\\' ? '\\\\' : hexEscape(char)));
}

/**
 * One JSON line: JSON.stringify escapes C0 controls and lone surrogates
 * already; this escapes what it leaves raw (DEL, C1, Cf, U+2028/U+2029),
 * as \uHHHH, which only ever occur inside strings.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
