// Process credentials: real/effective/saved uid and gid and supplementary
// groups. The C library applies each change to every thread, and a refused
// change (EPERM for an unprivileged caller) touches none.
import { native } from '../native.js';
import { checkInteger, invalidArgType } from '../errors.js';
import { MAX_ID, checkName, getGroupList } from './users.js';

/** The calling thread's ids (all threads agree after the calls of this module). */
export interface Credentials {
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  groups: number[];
}

/** getresuid, getresgid and getgroups. */
export function getCredentials(): Credentials {
  const [uid, euid, suid] = native.getresuid();
  const [gid, egid, sgid] = native.getresgid();
  return { uid, euid, suid, gid, egid, sgid, groups: native.getgroups() };
}

// -1 leaves an id unchanged, as in setresuid(2).
function checkIdOrKeep(name: string, value: unknown): number {
  return checkInteger(name, value, -1, MAX_ID);
}

/**
 * setresuid(2) for every thread; `effective` and `saved` default to `real`,
 * and -1 leaves one unchanged. Changing from uid 0 to others clears the
 * permitted and effective capabilities unless keep-caps is set.
 * @throws EPERM without CAP_SETUID (to ids other than the current ones); ERR_OUT_OF_RANGE
 */
export function setResUid(real: number, effective: number = real, saved: number = real): void {
  native.setresuid(checkIdOrKeep('real', real), checkIdOrKeep('effective', effective), checkIdOrKeep('saved', saved));
}

/**
 * setresgid(2) for every thread; `effective` and `saved` default to `real`.
 * @throws EPERM without CAP_SETGID; ERR_OUT_OF_RANGE
 */
export function setResGid(real: number, effective: number = real, saved: number = real): void {
  native.setresgid(checkIdOrKeep('real', real), checkIdOrKeep('effective', effective), checkIdOrKeep('saved', saved));
}

/**
 * setgroups(2) for every thread: the supplementary groups, replaced whole.
 * @throws EPERM without CAP_SETGID (even for the current list); ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE
 */
export function setGroups(groups: readonly number[]): void {
  if (!Array.isArray(groups)) throw invalidArgType('groups', 'an array of gids', groups);
  native.setgroups(groups.map((g, i) => checkInteger(`groups[${i}]`, g, 0, MAX_ID)));
}

/**
 * initgroups(3): sets the supplementary groups to those of `user` in the
 * group database plus `gid`. The lookup runs off the main thread, the change
 * itself is one setgroups.
 * @throws EPERM without CAP_SETGID; the errors of getGroupList
 */
export async function initGroups(user: string, gid: number): Promise<void> {
  const groups = await getGroupList(checkName('user', user), gid);
  native.setgroups(groups);
}
