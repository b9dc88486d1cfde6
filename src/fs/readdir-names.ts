// The names in a directory in one thread-pool task: what a directory listing
// needs before it sorts and stats them, without a Dirent object and a
// promise per entry, and never more than a bound (a huge directory costs
// neither the memory of all its names nor the time to read them all).
import { native } from '../native.js';
import { readDirectory, splitNames } from './readdir-stat.js';

/**
 * The names in `dir` but "." and "..", sorted by UTF-16 code unit as
 * Array.prototype.sort sorts strings; null as soon as there are more than
 * `limit` (default: no limit).
 * @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE; rejects with the errors of
 *   opendir(3) and readdir(3) (ENOENT, ENOTDIR, EACCES, ...), `path` set, as Node's
 */
export async function readdirNames(dir: string, limit = Infinity): Promise<string[] | null> {
  const joined = await readDirectory(native.readdirNames, dir, limit);
  if (joined === null) return null;
  const names = splitNames(joined);
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) return names.sort();
  return names;
}
