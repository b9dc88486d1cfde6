// The patterns LIST, NLST and STAT accept in the last path component, with
// vsftpd's syntax: `*` (any run of characters), `?` (one character) and one
// level of `{a,b}` alternatives; everything else, `[` included, is literal.
// Matching never backtracks more than once per name position: a name of n
// characters costs at most (pattern length) x n steps, and each match counts
// its steps so that a caller can bound and spread the work.

/** Longest pattern accepted, in characters (a file name is at most 255 bytes). */
export const MAX_PATTERN_LENGTH = 255;
/** Most patterns the `{...}` groups of one pattern may expand to. */
export const MAX_ALTERNATIVES = 64;

const STAR = -1;
const ANY = -2;

/** A pattern refused before any matching: too long, or too many alternatives. */
export class PatternError extends Error {
  readonly code = 'ERR_MINIFTP_PATTERN';
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

// Expands `{a,b}` groups (not nested; an unclosed `{` is literal), in order.
function expandBraces(text: string): string[] {
  const open = text.indexOf('{');
  const close = open === -1 ? -1 : text.indexOf('}', open + 1);
  if (close === -1) return [text];
  const head = text.slice(0, open);
  const rests = expandBraces(text.slice(close + 1));
  const out: string[] = [];
  for (const choice of text.slice(open + 1, close).split(',')) {
    for (const rest of rests) {
      out.push(head + choice + rest);
      if (out.length > MAX_ALTERNATIVES) throw new PatternError(`Pattern has more than ${MAX_ALTERNATIVES} alternatives.`);
    }
  }
  return out;
}

// One alternative as code points, STAR and ANY; runs of `*` are one STAR.
function tokenize(text: string): number[] {
  const tokens: number[] = [];
  for (const char of text) {
    if (char === '*') {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
    } else {
      tokens.push(char === '?' ? ANY : char.codePointAt(0)!);
    }
  }
  return tokens;
}

/** True when `text` holds a wildcard (`*`, `?`, or a closed `{...}` group). */
export function isPattern(text: string): boolean {
  return /[*?]|\{[^}]*\}/.test(text);
}

/** A compiled pattern; {@link steps} grows with each match. */
export class Glob {
  readonly #alternatives: number[][];
  /** Comparison steps spent by every match so far. */
  steps = 0;

  /**
   * @throws PatternError for a pattern longer than {@link MAX_PATTERN_LENGTH}
   *   or with more than {@link MAX_ALTERNATIVES} alternatives
   */
  constructor(pattern: string) {
    if (pattern.length > MAX_PATTERN_LENGTH) throw new PatternError(`Pattern too long (at most ${MAX_PATTERN_LENGTH} characters).`);
    this.#alternatives = expandBraces(pattern).map(tokenize);
  }

  /** Whether the whole of `name` matches. */
  matches(name: string): boolean {
    const chars = Array.from(name, (c) => c.codePointAt(0)!);
    return this.#alternatives.some((tokens) => this.#matchOne(tokens, chars));
  }

  // Star-backtracking: on a mismatch only the last `*` seen takes one more
  // character (what an earlier star could still match, the last one can
  // too), so the name is walked at most once per pattern position.
  #matchOne(tokens: readonly number[], chars: readonly number[]): boolean {
    let t = 0;
    let c = 0;
    let star = -1;
    let resume = 0;
    let steps = 0;
    try {
      while (c < chars.length) {
        steps++;
        const token = tokens[t];
        if (token === STAR) {
          star = t++;
          resume = c;
        } else if (token !== undefined && (token === ANY || token === chars[c])) {
          t++;
          c++;
        } else if (star !== -1) {
          t = star + 1;
          c = ++resume;
        } else {
          return false;
        }
      }
      while (tokens[t] === STAR) t++;
      return t === tokens.length;
    } finally {
      this.steps += steps;
    }
  }
}

/** Bounds on the matching one listing may do. */
export interface MatchLimits {
  /** Steps after which the listing is refused. */
  maxSteps: number;
  /** Steps between two returns to the event loop. */
  sliceSteps: number;
}

/** Steps one listing's pattern may cost: well under a second of CPU. */
export const DEFAULT_MATCH_LIMITS: Readonly<MatchLimits> = Object.freeze({ maxSteps: 50_000_000, sliceSteps: 500_000 });

/** Resolves after the event loop has run once (other sessions' I/O included). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The names `glob` matches, in order. Returns to the event loop every
 * `sliceSteps`, so that other sessions of the process are served meanwhile.
 * @throws PatternError when matching would take more than `maxSteps`
 */
export async function filterNames(names: readonly string[], glob: Glob, limits: MatchLimits = DEFAULT_MATCH_LIMITS): Promise<string[]> {
  const kept: string[] = [];
  let nextYield = glob.steps + limits.sliceSteps;
  const last = glob.steps + limits.maxSteps;
  for (const name of names) {
    if (glob.matches(name)) kept.push(name);
    if (glob.steps >= nextYield) {
      if (glob.steps > last) throw new PatternError('Pattern too complex for this directory.');
      nextYield = glob.steps + limits.sliceSteps;
      await yieldToEventLoop();
    }
  }
  return kept;
}
