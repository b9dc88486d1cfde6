// Login checks in the master: anonymous, virtual users (user_db) and local
// users (shadow + crypt off the main thread, the account's dates as
// pam_unix's, check_shell, /etc/ftpusers). Decides the identity a session's
// worker runs as, never one with uid 0 or primary group 0. Every password
// check hashes once at the cost a wrong password has, so that an unknown
// name costs what a known one does. Privileged side: look for suitable
// paranoia here.
import { checkLogin, dummyHashLike, getUserWithGroups, verifyCryptHash, type User } from 'privsep';
import type { MiniftpConfig } from '../config-table.js';
import { isAnonymousName } from '../anonymous-names.js';
import type { WorkerIdentity } from '../protocols.js';
import { rootIdsReason } from '../root-ids.js';
import type { UserDb } from '../user-db.js';
import { isFtpusersDenied, isListedShell } from './account-files.js';


// A name in neither user_db nor the shadow database is hashed against a
// dummy of the method user_db's entries use: what a wrong password of a
// virtual user costs.
const userDbDummies = new WeakMap<UserDb, string>();

function userDbDummy(userDb: UserDb): string {
  let dummy = userDbDummies.get(userDb);
  if (dummy === undefined) {
    dummy = dummyHashLike(Array.from(userDb.values(), (user) => user.passwordHash));
    userDbDummies.set(userDb, dummy);
  }
  return dummy;
}

// The passwd entry and groups of an account a worker may run as, or null:
// unknown, or root by uid or primary group, whatever its name.
async function workerAccount(name: string): Promise<{ entry: User; groups: number[] } | null> {
  const account = await getUserWithGroups(name);
  return account === null || rootIdsReason(account.entry) !== null ? null : account;
}

async function localLoginAllowed(userDb: UserDb | null, user: string, password: string): Promise<boolean> {
  const options = userDb === null ? {} : { dummyHash: userDbDummy(userDb) };
  const verdict = await checkLogin(user, password, options).catch(() => 'error');
  return verdict === 'ok' && !(await isFtpusersDenied(user));
}

/**
 * The identity `user` logs in as with `password`, or null: a wrong
 * password, an unknown, locked or expired user, a shell not in /etc/shells
 * (check_shell), a name in /etc/ftpusers, an account with uid 0 or primary
 * group 0 (for anonymous sessions, ftp_username; for virtual users, their
 * system user), or a kind of login the configuration does not allow all look
 * the same.
 */
export async function authenticate(config: MiniftpConfig, userDb: UserDb | null, user: string, password: string): Promise<WorkerIdentity | null> {
  if (isAnonymousName(user)) {
    if (!config.anonymous_enable) return null;
    const account = await workerAccount(config.ftp_username);
    if (account === null) return null;
    const { uid, gid, homedir } = account.entry;
    return { user: 'anonymous', uid, gid, groups: [gid], chroot: config.anon_root ?? homedir, home: '/', anonymous: true };
  }
  if (!config.local_enable) return null;
  const virtual = userDb?.get(user);
  if (virtual) {
    if (!(await verifyCryptHash(password, virtual.passwordHash)) || (await isFtpusersDenied(user))) return null;
    const account = await workerAccount(virtual.systemUser);
    if (account === null) return null;
    const { uid, gid } = account.entry;
    return { user, uid, gid, groups: account.groups, chroot: virtual.root, home: '/', anonymous: false };
  }
  if (!(await localLoginAllowed(userDb, user, password))) return null;
  const account = await workerAccount(user);
  if (account === null) return null;
  const { uid, gid, homedir, shell } = account.entry;
  if (config.check_shell && !(await isListedShell(shell))) return null;
  const start = config.local_root ?? homedir;
  return config.chroot_local_user
    ? { user, uid, gid, groups: account.groups, chroot: start, home: '/', anonymous: false }
    : { user, uid, gid, groups: account.groups, chroot: null, home: start, anonymous: false };
}

/** One key per process identity: sessions with the same key share a worker. */
export function identityKey(identity: WorkerIdentity): string {
  return JSON.stringify([identity.uid, identity.gid, identity.groups, identity.chroot, identity.anonymous]);
}
