// The names in a directory in one thread-pool task: what a directory listing
// needs before it sorts and stats them, without a Dirent object and a
// promise per entry, and never more than a bound (a huge directory costs
// neither the memory of all its names nor the time to read them all).
import { native } from '../native.js';
import { invalidArgType, outOfRange } from '../errors.js';

/**
 * The names in `dir` but "." and "..", sorted by UTF-16 code unit as
 * Array.prototype.sort sorts strings; null as soon as there are more than
 * `limit` (default: no limit).
 * @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE; rejects with the errors of
 *   opendir(3) and readdir(3) (ENOENT, ENOTDIR, EACCES, ...), `path` set, as Node's
 */
export async function readdirNames(dir: string, limit = Infinity): Promise<string[] | null> {
  if (typeof dir !== 'string') throw invalidArgType('dir', 'of type string', dir);
  if (typeof limit !== 'number') throw invalidArgType('limit', 'of type number', limit);
  if (Number.isNaN(limit) || limit < 0) throw outOfRange('limit', '>= 0', limit);
  let joined: string | null;
  try {
    joined = await native.readdirNames(dir, limit);
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'syscall' in err) Object.assign(err, { path: dir });
    throw err;
  }
  if (joined === null) return null;
  if (joined === '') return [];
  const names = joined.slice(0, -1).split('\0');
  // They come sorted by byte, which is code unit order but where a name has a
  // character above U+FFFF or bytes that are not UTF-8: then JavaScript sorts.
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) return names.sort();
  return names;
}
