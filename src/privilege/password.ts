// Password checks: against a user's shadow entry (checkPassword) or against
// a given crypt(3) hash (verifyCryptHash, for virtual-user files). Hashing
// runs off the main thread in libxcrypt (yescrypt, sha512-crypt, ...); the
// comparison takes constant time. Privileged side (reading shadow needs root
// or the shadow group): look for suitable paranoia in this file.
import { timingSafeEqual } from 'node:crypto';
import { native } from '../native.js';
import { invalidArgType } from '../errors.js';
import { checkName } from './users.js';

// A valid yescrypt setting with the usual cost: hashed when there is nothing
// to compare with, so that an unknown user or a locked account takes about
// as long to refuse as a wrong password.
const DUMMY_SETTING = '$y$j9T$F5Jx5fExrKuPp53xLKQ..1';

// An empty hash would let any password in; '!' and '*' mark locked accounts.
function usable(hash: string): boolean {
  return hash.length > 0 && !hash.startsWith('!') && !hash.startsWith('*');
}

function checkPasswordArg(password: unknown): string {
  if (typeof password !== 'string') throw invalidArgType('password', 'of type string', password);
  return password;
}

async function matches(password: string, hash: string): Promise<boolean> {
  // crypt(3) stops at a NUL: such a password must never equal a shorter one.
  if (!usable(hash) || password.includes('\0')) {
    await native.crypt('', DUMMY_SETTING);
    return false;
  }
  const computed = await native.crypt(password, hash);
  if (computed === null) return false;
  const a = Buffer.from(computed);
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether `password` matches the crypt(3) hash `hash` (yescrypt, sha512-crypt
 * and every other method libxcrypt supports). Locked ('!'/'*' prefix) and
 * empty hashes never match; nor does a hash libxcrypt cannot parse.
 * @throws ERR_INVALID_ARG_TYPE; ENOMEM
 */
export async function verifyCryptHash(password: string, hash: string): Promise<boolean> {
  checkPasswordArg(password);
  if (typeof hash !== 'string') throw invalidArgType('hash', 'of type string', hash);
  return matches(password, hash);
}

/**
 * Whether `password` is the password of `user` in the shadow database
 * (getspnam + crypt, off the main thread). An unknown user, a locked account
 * and an empty password field all give false, after about the same time as
 * a wrong password. Account expiry is not checked here.
 * @throws EACCES when the shadow database is not readable (not root, not in group shadow);
 *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
 */
export async function checkPassword(user: string, password: string): Promise<boolean> {
  checkName('user', user);
  checkPasswordArg(password);
  const hash = await native.getShadowHash(user);
  return matches(password, hash ?? '');
}
