// Password checks: against a user's shadow entry (checkPassword, and
// checkLogin, which also applies the account's dates as pam_unix does) or
// against a given crypt(3) hash (verifyCryptHash, for virtual-user files).
// Hashing runs off the main thread in libxcrypt (yescrypt, sha512-crypt,
// ...); the comparison takes constant time. Every check hashes exactly once,
// with the cost of a real one, whatever the outcome. Privileged side
// (reading shadow needs root or the shadow group): look for suitable
// paranoia in this file.
import { timingSafeEqual } from 'node:crypto';
import { native } from '../native.js';
import { checkInteger, invalidArgType } from '../errors.js';
import { DEFAULT_DUMMY_HASH, cryptMethod } from './crypt-method.js';
import { getShadowEntry, shadowAccountState, shadowDummyHash, type ShadowAccountState, type ShadowEntry } from './shadow.js';
import { checkName } from './users.js';

/**
 * What checkLogin decided: 'ok', or why the login is refused. The
 * ShadowAccountState reasons come only after the right password.
 */
export type LoginVerdict = 'ok' | 'unknown-user' | 'no-password' | 'locked' | 'wrong-password' | Exclude<ShadowAccountState, 'ok'>;

/** Options of {@link checkLogin}. */
export interface CheckLoginOptions {
  /**
   * The hash an unknown user's password is checked against, so that the
   * refusal costs what a wrong password does; default: a dummy of the
   * method most of /etc/shadow uses. Give one of the method of the other
   * accounts an attacker could be probing (see dummyHashLike).
   */
  dummyHash?: string;
  /** The day the account's dates are compared with (days since 1970-01-01); default today. */
  today?: number;
}

function checkPasswordArg(password: unknown): string {
  if (typeof password !== 'string') throw invalidArgType('password', 'of type string', password);
  return password;
}

// The hash a locked one ('!' or '*' in front) would be once unlocked: checking
// against it costs what checking the account's password did.
function unlocked(hash: string): string | null {
  const rest = hash.replace(/^[!*]+/, '');
  return rest !== hash && cryptMethod(rest) !== null ? rest : null;
}

/**
 * Hashes `password` once with `hash`'s setting and compares in constant
 * time. crypt(3) stops at a NUL, so such a password is hashed as '' (the
 * same cost) and never matches.
 */
async function matches(password: string, hash: string): Promise<boolean> {
  const hasNul = password.includes('\0');
  const computed = await native.crypt(hasNul ? '' : password, hash);
  if (computed === null || hasNul) return false;
  const a = Buffer.from(computed);
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

type PasswordCheck = { entry: null; verdict: 'unknown-user' } | { entry: ShadowEntry; verdict: 'ok' | 'no-password' | 'locked' | 'wrong-password' };

// One shadow lookup and one hash, whatever is found.
async function checkShadowPassword(user: string, password: string, dummyHash?: string): Promise<PasswordCheck> {
  const entry = await getShadowEntry(user);
  if (entry === null) {
    await matches(password, dummyHash ?? (await shadowDummyHash()));
    return { entry, verdict: 'unknown-user' };
  }
  if (entry.hash === '') {
    await matches(password, dummyHash ?? (await shadowDummyHash()));
    return { entry, verdict: 'no-password' };
  }
  if (entry.hash.startsWith('!') || entry.hash.startsWith('*')) {
    await matches(password, unlocked(entry.hash) ?? dummyHash ?? (await shadowDummyHash()));
    return { entry, verdict: 'locked' };
  }
  // As pam_unix without nullok: an empty password never logs in, even against a hash of ''.
  const matched = await matches(password, entry.hash);
  return { entry, verdict: matched && password !== '' ? 'ok' : 'wrong-password' };
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
  if (hash === '' || hash.startsWith('!') || hash.startsWith('*')) {
    await matches(password, unlocked(hash) ?? DEFAULT_DUMMY_HASH);
    return false;
  }
  return matches(password, hash);
}

/**
 * Whether `password` is the password of `user` in the shadow database
 * (getspnam + crypt, off the main thread). An unknown user, a locked account,
 * an empty password field and an empty password all give false, after the
 * time a wrong password takes. The account's dates are not looked at: see checkLogin.
 * @throws EACCES when the shadow database is not readable (not root, not in group shadow);
 *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
 */
export async function checkPassword(user: string, password: string): Promise<boolean> {
  checkName('user', user);
  checkPasswordArg(password);
  return (await checkShadowPassword(user, password)).verdict === 'ok';
}

/**
 * Whether `user` may log in with `password`, as pam_unix's auth and account
 * stages decide for a service that cannot change passwords: the password
 * must match a hash that is neither empty nor locked ('!' or '*' in front),
 * and the account must be neither expired, nor disabled after its password
 * expired, nor waiting for a password change (see shadowAccountState).
 * Every outcome costs one shadow lookup and one hash of the same cost as a
 * wrong password (an unknown user's is options.dummyHash's).
 * @returns 'ok', or why not (a caller shows every refusal alike)
 * @throws EACCES when the shadow database is not readable;
 *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
 */
export async function checkLogin(user: string, password: string, options: CheckLoginOptions = {}): Promise<LoginVerdict> {
  checkName('user', user);
  checkPasswordArg(password);
  if (options.dummyHash !== undefined && typeof options.dummyHash !== 'string') {
    throw invalidArgType('options.dummyHash', 'of type string', options.dummyHash);
  }
  if (options.today !== undefined) checkInteger('options.today', options.today, 0, 2 ** 31 - 1);
  const checked = await checkShadowPassword(user, password, options.dummyHash);
  if (checked.verdict !== 'ok') return checked.verdict;
  const state = shadowAccountState(checked.entry, options.today);
  return state === 'ok' ? 'ok' : state;
}
