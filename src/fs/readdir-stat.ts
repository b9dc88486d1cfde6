// The names in a directory and the lstat of each, in one thread-pool task:
// what a directory listing needs (an FTP LIST of 10,000 files), as one
// string and one typed array instead of an object per entry, and never more
// than a bound.
import { native } from '../native.js';
import { invalidArgType, outOfRange } from '../errors.js';

/** Where each number of an entry's record lies in {@link DirectoryStats.records}. */
export const LstatField = {
  /** 0 when the entry was found; else lstat's errno (ENOENT: removed after it was read). */
  errno: 0,
  /** st_mode: type and permission bits. */
  mode: 1,
  nlink: 2,
  uid: 3,
  gid: 4,
  size: 5,
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: 6,
} as const;

/** Numbers per entry in {@link DirectoryStats.records}. */
export const LSTAT_RECORD_LENGTH = 7;

/** A directory as {@link readdirStat} read it. */
export interface DirectoryStats {
  /** The names but "." and "..", sorted by UTF-16 code unit as Array.prototype.sort sorts strings. */
  names: string[];
  /** names[i]'s record: LSTAT_RECORD_LENGTH numbers from i * LSTAT_RECORD_LENGTH, laid out as {@link LstatField} says. */
  records: Float64Array;
}

/**
 * The names in `dir` and the lstat(2) of each (links not followed), read
 * in one thread-pool task; null as soon as there are more than `limit`
 * names (default: no limit). A name removed between the directory's read and
 * its lstat keeps its place, with its errno in the record.
 * @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE; rejects with the errors of
 *   opendir(3) and readdir(3) (ENOENT, ENOTDIR, EACCES, ...), `path` set, as Node's
 */
export async function readdirStat(dir: string, limit = Infinity): Promise<DirectoryStats | null> {
  const read = await readDirectory(native.readdirStat, dir, limit);
  if (read === null) return null;
  const names = splitNames(read.names);
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) return sortedByName(names, read.records);
  }
  return { names, records: read.records };
}

/** Checks the arguments of a native directory read and runs it, `path` set on its errors as Node sets it. */
export async function readDirectory<T>(read: (dir: string, limit: number) => Promise<T>, dir: string, limit: number): Promise<T> {
  if (typeof dir !== 'string') throw invalidArgType('dir', 'of type string', dir);
  if (typeof limit !== 'number') throw invalidArgType('limit', 'of type number', limit);
  if (Number.isNaN(limit) || limit < 0) throw outOfRange('limit', '>= 0', limit);
  try {
    return await read(dir, limit);
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'syscall' in err) Object.assign(err, { path: dir });
    throw err;
  }
}

/**
 * The names of a native read, each ended by a NUL. They come sorted by byte,
 * which is code unit order but where a name has a character above U+FFFF or
 * bytes that are not UTF-8: the caller checks and then sorts in JavaScript.
 */
export function splitNames(joined: string): string[] {
  return joined === '' ? [] : joined.slice(0, -1).split('\0');
}

function sortedByName(names: string[], records: Float64Array): DirectoryStats {
  const order = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const sorted = new Float64Array(records.length);
  order.forEach((from, to) => sorted.set(records.subarray(from * LSTAT_RECORD_LENGTH, (from + 1) * LSTAT_RECORD_LENGTH), to * LSTAT_RECORD_LENGTH));
  return { names: order.map((i) => names[i]!), records: sorted };
}
