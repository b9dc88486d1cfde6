// lstat of many entries of one directory in one thread-pool task: what a
// directory listing needs (an FTP LIST of 10,000 files), without a Stats
// object and a thread-pool round trip per entry, and without blocking the
// event loop.
import { native } from '../native.js';
import { invalidArgType } from '../errors.js';

/** What {@link lstatBatch} gives for each entry it found. */
export interface LstatRecord {
  /** st_mode: type and permission bits. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

/**
 * lstat(2) of `names` in the directory `dir` (links not followed), off the
 * main thread in one task. An entry that is gone (or a name that is not a
 * single path component, such as one with a '/') gives null. Several
 * batches may run at once, on the thread pool's threads.
 * @throws ERR_INVALID_ARG_TYPE; rejects with the open(2) errors of `dir` (ENOENT, ENOTDIR, EACCES)
 */
export async function lstatBatch(dir: string, names: readonly string[]): Promise<Array<LstatRecord | null>> {
  if (typeof dir !== 'string') throw invalidArgType('dir', 'of type string', dir);
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) throw invalidArgType('names', 'an array of strings', names);
  const fields = native.LSTAT_FIELDS;
  const out = new Float64Array(names.length * fields);
  // NUL ends each name on its way into C++; a name holding one cannot exist, and '/' makes it fail.
  const joined = names.map((name) => (name.includes('\0') ? '/' : name)).join('\0') + '\0';
  await native.lstatBatch(dir, names.length === 0 ? '' : joined, names.length, out);
  const records: Array<LstatRecord | null> = new Array(names.length);
  for (let i = 0, at = 0; i < names.length; i++, at += fields) {
    records[i] = out[at] !== 0 ? null : { mode: out[at + 1]!, nlink: out[at + 2]!, uid: out[at + 3]!, gid: out[at + 4]!, size: out[at + 5]!, mtimeMs: out[at + 6]! };
  }
  return records;
}
