// User and group lookups in the system databases (NSS, so possibly a
// network service): getUser, getGroup, getGroupList, and resolveIdentity,
// the uid, gid and groups a process of a user should run with. Every lookup
// runs off the main thread. Runs on either side of the privilege boundary.
import { native } from '../native.js';
import { PrivsepError, checkInteger, invalidArgType, invalidArgValue } from '../errors.js';

/** One entry of the user database (passwd). */
export interface User {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  homedir: string;
  shell: string;
}

/** One entry of the group database. */
export interface Group {
  name: string;
  gid: number;
  members: string[];
}

/** What a process of a user runs with: the ids `initgroups` and `setuid` would give it. */
export interface Identity {
  user: string;
  uid: number;
  gid: number;
  /** Supplementary groups, sorted, the primary group included. */
  groups: number[];
  homedir: string;
}

/** The largest valid uid or gid ((uid_t)-1 means "none"). */
export const MAX_ID = 0xfffffffe;

/** Checks a user or group name. @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE */
export function checkName(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.length === 0 || value.includes('\0')) throw invalidArgValue(name, value, 'must be a non-empty string without NUL');
  return value;
}

/** Checks a uid or gid. @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE */
export function checkId(name: string, value: unknown): number {
  return checkInteger(name, value, 0, MAX_ID);
}

/**
 * Looks a user up by name or uid (getpwnam_r / getpwuid_r, off the main thread).
 * @returns the entry, or null when there is none
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE; system errors of NSS (EIO, EMFILE, ...)
 */
export function getUser(user: string | number): Promise<User | null> {
  try {
    return typeof user === 'number' ? native.getpwuid(checkId('user', user)) : native.getpwnam(checkName('user', user));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Looks a group up by name or gid (getgrnam_r / getgrgid_r, off the main thread).
 * @returns the entry, or null when there is none
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE; system errors of NSS
 */
export function getGroup(group: string | number): Promise<Group | null> {
  try {
    return typeof group === 'number' ? native.getgrgid(checkId('group', group)) : native.getgrnam(checkName('group', group));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The groups `user` belongs to in the group database, plus `gid`, sorted
 * and without repeats: what initgroups(3) would set (getgrouplist, off the
 * main thread).
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE; system errors of NSS
 */
export async function getGroupList(user: string, gid: number): Promise<number[]> {
  const groups = await native.getgrouplist(checkName('user', user), checkId('gid', gid));
  return sortedUnique(groups);
}

/**
 * The passwd entry of `user` and its groups (what getGroupList gives for the
 * entry's name and primary gid), in one lookup off the main thread.
 * @returns null when there is no such user
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE; system errors of NSS
 */
export async function getUserWithGroups(user: string): Promise<{ entry: User; groups: number[] } | null> {
  const found = await native.getpwnamGroups(checkName('user', user));
  if (found === null) return null;
  const { groups, ...entry } = found;
  return { entry, groups: sortedUnique(groups) };
}

/**
 * The uid, primary gid and supplementary groups of a user, looked up by
 * name or uid; spread it into the options of changeCredentials or
 * spawnWithCredentials.
 * @throws ERR_PRIVSEP_UNKNOWN_USER when there is no such user; the errors of getUser
 */
export async function resolveIdentity(user: string | number): Promise<Identity> {
  const found = typeof user === 'string' ? await getUserWithGroups(user) : await withGroups(await getUser(user));
  if (found === null) throw new PrivsepError('ERR_PRIVSEP_UNKNOWN_USER', `no such user: ${String(user)}`);
  const { entry, groups } = found;
  return { user: entry.name, uid: entry.uid, gid: entry.gid, groups, homedir: entry.homedir };
}

async function withGroups(entry: User | null): Promise<{ entry: User; groups: number[] } | null> {
  return entry === null ? null : { entry, groups: await getGroupList(entry.name, entry.gid) };
}

export function sortedUnique(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}
