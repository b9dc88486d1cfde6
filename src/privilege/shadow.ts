// The shadow database: a user's entry (getspnam_r, off the main thread),
// what its dates say about the account (the rules of pam_unix's account
// stage), and a dummy hash of the method the database's passwords use.
// Privileged side (reading shadow needs root or the shadow group): look for
// suitable paranoia in this file.
import fs from 'node:fs/promises';
import { native, type NativeShadow } from '../native.js';
import { cryptMethod, dummyHashLike } from './crypt-method.js';
import { checkName } from './users.js';

/** One entry of the shadow database. Days count from 1970-01-01 (UTC); null is an empty field. */
export interface ShadowEntry {
  name: string;
  /** The crypt(3) hash; `!` or `*` in front locks the account, empty means no password. */
  hash: string;
  /** Day of the last password change; 0 means the password must be changed at the next login. */
  lastChange: number | null;
  minDays: number | null;
  /** Days a password is valid after lastChange. */
  maxDays: number | null;
  warnDays: number | null;
  /** Days after the password expired during which it may still be changed; after them the account is disabled. */
  inactiveDays: number | null;
  /** The day from which the account is expired. */
  expireDay: number | null;
}

/**
 * Why the account of a shadow entry may not log in, or 'ok':
 * - 'account-expired': today is expireDay or later;
 * - 'password-change-required': lastChange is 0, or the password is older than maxDays;
 * - 'password-expired': the password is older than maxDays + inactiveDays (the account is disabled).
 */
export type ShadowAccountState = 'ok' | 'account-expired' | 'password-change-required' | 'password-expired';

const SHADOW_FILE = '/etc/shadow';

function day(value: number): number | null {
  return value < 0 ? null : value;
}

function entryOf(raw: NativeShadow): ShadowEntry {
  return {
    name: raw.name, hash: raw.hash,
    lastChange: day(raw.lastChange), minDays: day(raw.minDays), maxDays: day(raw.maxDays),
    warnDays: day(raw.warnDays), inactiveDays: day(raw.inactiveDays), expireDay: day(raw.expireDay),
  };
}

/** Today as the shadow database counts days. */
export function currentDay(now: number = Date.now()): number {
  return Math.floor(now / 86_400_000);
}

/**
 * The shadow entry of `user` (getspnam_r, off the main thread), or null
 * when there is none.
 * @throws EACCES (`getspnam`) when the shadow database is not readable;
 *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
 */
export async function getShadowEntry(user: string): Promise<ShadowEntry | null> {
  checkName('user', user);
  const raw = await native.getspnam(user);
  return raw === null ? null : entryOf(raw);
}

/**
 * What the dates of `entry` say about logging in on `today`, as pam_unix's
 * account stage decides (a password change allowed too early, minDays, does
 * not matter for a login; a lastChange in the future never expires). A
 * service that cannot change passwords refuses every state but 'ok'. The
 * hash is not looked at: locks are the password check's business.
 */
export function shadowAccountState(entry: ShadowEntry, today: number = currentDay()): ShadowAccountState {
  const { expireDay, lastChange, maxDays, inactiveDays } = entry;
  if (expireDay !== null && today >= expireDay) return 'account-expired';
  if (lastChange === 0) return 'password-change-required';
  if (lastChange === null || today < lastChange || maxDays === null) return 'ok';
  const passed = today - lastChange;
  if (inactiveDays !== null && passed >= maxDays + inactiveDays) return 'password-expired';
  if (passed >= maxDays) return 'password-change-required';
  return 'ok';
}

let systemDummy: { key: string; hash: Promise<string> } | null = null;

/**
 * A dummy hash of the method and cost most passwords in /etc/shadow use
 * (what checking a wrong password of a local user costs), made again when
 * the file changes. Without a readable file or a usable hash in it,
 * yescrypt at libxcrypt's default cost.
 */
export async function shadowDummyHash(): Promise<string> {
  const stat = await fs.stat(SHADOW_FILE).catch(() => null);
  const key = stat === null ? '' : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  if (systemDummy?.key !== key) systemDummy = { key, hash: readHashes().then(dummyHashLike) };
  return systemDummy.hash;
}

// The usable hashes of /etc/shadow; the file's bytes are wiped after reading.
async function readHashes(): Promise<string[]> {
  const data = await fs.readFile(SHADOW_FILE).catch(() => null);
  if (data === null) return [];
  try {
    const hashes: string[] = [];
    for (const line of data.toString('latin1').split('\n')) {
      const hash = line.split(':')[1];
      if (hash !== undefined && cryptMethod(hash) !== null) hashes.push(hash);
    }
    return hashes;
  } finally {
    data.fill(0);
  }
}
