// What a crypt(3) hash costs to check: its method and cost parameters, and a
// dummy hash of the same method and cost, for refusing a login that has no
// hash of its own (an unknown user) in the time a wrong password takes.
// Pure, apart from random bytes.
import { randomBytes } from 'node:crypto';
import { invalidArgType } from '../errors.js';

/**
 * A yescrypt hash at libxcrypt's and Debian's default cost: the dummy when
 * there is no hash to take the method from.
 */
export const DEFAULT_DUMMY_HASH = '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$0d4tjmq2aDOG6ZxJ1nT3gMFZkH6MpXtMJB6zAgB0WO4';

const BCRYPT = /^\$2[abxy]\$\d\d\$/;
const DES = /^[A-Za-z0-9./]{13}$/;
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * The part of a crypt(3) hash that decides what checking it costs: the
 * method and its cost parameters, without salt and hash (`$6$`,
 * `$6$rounds=10000$`, `$y$j9T$`, `$2b$12$`, `$1$`; `''` for traditional
 * DES). null for what is no hash (empty, locked with `!` or `*`, not in
 * the modular crypt format).
 */
export function cryptMethod(hash: string): string | null {
  if (DES.test(hash)) return '';
  if (BCRYPT.test(hash)) return hash.slice(0, 7);
  if (!hash.startsWith('$')) return null;
  // $id$[params$]salt$hash: drop salt and hash.
  const fields = hash.split('$');
  if (fields.length < 4 || fields[1] === '') return null;
  return `${fields.slice(0, fields.length - 2).join('$')}$`;
}

// `hash` with its hash part (not its setting) replaced by random characters:
// checking a password against it costs the same, and no password is known
// to give it.
function withRandomHashPart(hash: string): string {
  const keep = DES.test(hash) ? 2 : BCRYPT.test(hash) ? 7 + 22 : hash.lastIndexOf('$') + 1;
  const random = randomBytes(hash.length - keep);
  return hash.slice(0, keep) + Array.from(random, (byte) => CRYPT_ALPHABET[byte & 63]).join('');
}

/**
 * A dummy hash with the method, cost and setting most of `hashes` use (the
 * first of them gives salt and parameters) and a random hash part: checking
 * a password against it costs what checking against those hashes does, and
 * no password is known to match it. With no usable hash among `hashes`, a
 * yescrypt hash of the default cost. Takes no hashing itself.
 * @throws ERR_INVALID_ARG_TYPE
 */
export function dummyHashLike(hashes: Iterable<string>): string {
  if (hashes === null || typeof (hashes as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw invalidArgType('hashes', 'an iterable of strings', hashes);
  }
  const byMethod = new Map<string, { count: number; first: string }>();
  for (const hash of hashes) {
    if (typeof hash !== 'string') throw invalidArgType('hashes', 'an iterable of strings', hash);
    const method = cryptMethod(hash);
    if (method === null) continue;
    const seen = byMethod.get(method);
    if (seen) seen.count++;
    else byMethod.set(method, { count: 1, first: hash });
  }
  let model = DEFAULT_DUMMY_HASH;
  let most = 0;
  for (const { count, first } of byMethod.values()) {
    if (count > most) {
      most = count;
      model = first;
    }
  }
  return withRandomHashPart(model);
}
