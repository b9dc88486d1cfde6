// deny_file and hide_file patterns, as vsftpd reads them: `*`, `?` and one
// level of `{a,b}` alternatives (listing patterns' syntax, glob.ts), matched
// against one name at a time; a name that contains the whole text matches
// too, as in vsftpd (so `hide_file=.private` hides `x.private.txt`). Matching
// never backtracks (glob.ts's two-pointer walk: pattern length x name length
// steps at most). Pure; read by the master to check settings at start.
import { Glob, PatternError } from './glob.js';

/** A compiled deny_file or hide_file pattern. */
export class NamePattern {
  readonly #text: string;
  readonly #glob: Glob;

  /** @throws PatternError for a pattern {@link namePatternError} refuses */
  constructor(text: string) {
    const why = namePatternError(text);
    if (why !== undefined) throw new PatternError(why);
    this.#text = text;
    this.#glob = new Glob(text);
  }

  /** Whether the name (one path component) matches. */
  matches(name: string): boolean {
    return name.includes(this.#text) || this.#glob.matches(name);
  }

  /** Whether any component of a path matches. */
  matchesAnyPart(path: string): boolean {
    return path.split('/').some((part) => part !== '' && this.matches(part));
  }
}

/** Why `text` is not a name pattern, or undefined. */
export function namePatternError(text: string): string | undefined {
  if (text.includes('/')) return 'must match names, not paths: no /';
  try {
    new Glob(text);
  } catch (err) {
    if (err instanceof PatternError) return err.message;
    throw err;
  }
  return undefined;
}
