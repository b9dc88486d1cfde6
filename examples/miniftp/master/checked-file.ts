// A small system file (/etc/shells, /etc/ftpusers) read again only when it
// changed: what was made of its text is kept with the file's identity, size
// and times, and one stat at each use decides whether it still holds. That
// stat is synchronous: for a local system file it is a lookup in the kernel's
// caches of a few microseconds, where a round trip through the thread pool
// costs tens (and a login checks two such files). A rewrite in place of the
// same size can keep the times of the last write (the kernel's file clock may
// tick every few milliseconds), so a file written shortly before it was read
// is read again at every use until it has been quiet for a while.
// Privileged side.
import fs, { type BigIntStats } from 'node:fs';

// A read this long after the file's last change cannot share a timestamp with a later change.
const QUIET_MS = 2000;

function statOf(file: string): BigIntStats | null {
  try {
    return fs.statSync(file, { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function versionOf(stat: BigIntStats | null): string {
  return stat === null ? 'none' : `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.mode}`;
}

export class CheckedFile<T> {
  readonly path: string;
  readonly #parse: (text: string | null, stat: BigIntStats | null) => T;
  readonly #quietNs: bigint;
  #cached: { version: string; value: T } | null = null;

  /**
   * @param parse makes the value from the file's text and stat (null: the
   *   file cannot be read, or is not there)
   * @param quietMs how long after its last change a file is kept without a new read
   */
  constructor(path: string, parse: (text: string | null, stat: BigIntStats | null) => T, quietMs = QUIET_MS) {
    this.path = path;
    this.#parse = parse;
    this.#quietNs = BigInt(quietMs) * 1_000_000n;
  }

  /** The value of the file as it is now. */
  async value(): Promise<T> {
    const stat = statOf(this.path);
    const version = versionOf(stat);
    if (this.#cached?.version === version) return this.#cached.value;
    const text = stat === null ? null : await fs.promises.readFile(this.path, 'utf8').catch(() => null);
    const value = this.#parse(text, text === null ? null : stat);
    // Kept only when a later change must show in the stat.
    const quiet = text !== null && BigInt(Date.now()) * 1_000_000n - stat!.ctimeNs >= this.#quietNs;
    this.#cached = quiet ? { version, value } : null;
    return value;
  }
}
