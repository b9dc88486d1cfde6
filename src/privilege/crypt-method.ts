// What a crypt(3) hash costs to check: its method and cost parameters, and a
// dummy hash of the same method and cost, for refusing a login that has no
// hash of its own (an unknown user) in the time a wrong password takes.
// Privileged side: look for suitable paranoia in this file.
import { randomBytes } from 'node:crypto';
import { native } from '../native.js';
import { invalidArgType } from '../errors.js';

/**
 * The yescrypt setting libxcrypt and Debian's passwd use by default: the
 * dummy when there is no hash to take the method from.
 */
export const DEFAULT_DUMMY_SETTING = '$y$j9T$F5Jx5fExrKuPp53xLKQ..1';

const BCRYPT = /^\$2[abxy]\$\d\d\$/;
const DES = /^[A-Za-z0-9./]{13}$/;

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

/**
 * A hash of a random password with the method and cost most of `hashes`
 * use (the first of them gives the salt and parameters), so that checking a
 * password against it costs what checking against those hashes does. It
 * matches no password anyone knows. With no usable hash among `hashes`, a
 * yescrypt hash of libxcrypt's default cost.
 * @throws ERR_INVALID_ARG_TYPE; ENOMEM
 */
export async function dummyHashLike(hashes: Iterable<string>): Promise<string> {
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
  let setting = DEFAULT_DUMMY_SETTING;
  let most = 0;
  for (const { count, first } of byMethod.values()) {
    if (count > most) {
      most = count;
      setting = first;
    }
  }
  return (await native.crypt(randomBytes(24).toString('base64'), setting))
    ?? (await native.crypt(randomBytes(24).toString('base64'), DEFAULT_DUMMY_SETTING))!;
}
