// Login checks in the master: anonymous, virtual users (user_db) and local
// users (shadow + crypt off the main thread, the account's dates as
// pam_unix's, check_shell, /etc/ftpusers, userlist_file, chroot_list_file; or, with pam_service_name, the PAM
// service, whose session stays open while the user's session lasts). Decides the identity a session's
// worker runs as, never one with uid 0 or primary group 0. Every password
// check hashes once at the cost a wrong password has, so that an unknown
// name costs what a known one does. Privileged side: look for suitable
// paranoia here.
import path from 'node:path';
import { checkLogin, dummyHashLike, getUserWithGroups, pamLogin, PamError, verifyCryptHash, type PamSession, type User } from 'privsep';
import type { MiniftpConfig } from '../config-table.js';
import { isAnonymousName } from '../anonymous-names.js';
import { anonymousPasswordAccepted } from '../anonymous-passwords.js';
import type { WorkerIdentity } from '../protocols.js';
import { rootIdsReason } from '../root-ids.js';
import type { UserDb } from '../user-db.js';
import { isFtpusersDenied, isListedShell } from './account-files.js';
import { isChrootedLocalUser, isRefusedByUserList } from './login-lists.js';


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

/** A good login: the identity its worker runs as, and its PAM session (with pam_service_name) to close when the session ends. */
export interface Login {
  identity: WorkerIdentity;
  pam: PamSession | null;
}

// A local user's identity, or null when the chroot list cannot be read.
// With passwd_chroot_enable, a confined user's home "/srv/ftp/./anna" is
// root /srv/ftp and first directory /anna, ahead of local_root (as vsftpd).
async function localIdentity(config: MiniftpConfig, user: string, account: { entry: User; groups: number[] }): Promise<WorkerIdentity | null> {
  const { uid, gid, homedir } = account.entry;
  const ids = { user, uid, gid, groups: account.groups, anonymous: false };
  const chrooted = await isChrootedLocalUser(config, user);
  if (chrooted === null) return null;
  const mark = config.passwd_chroot_enable ? homedir.indexOf('/./') : -1;
  if (!chrooted) return { ...ids, chroot: null, home: mark === -1 ? (config.local_root ?? homedir) : path.posix.normalize(homedir) };
  if (mark === -1) return { ...ids, chroot: config.local_root ?? homedir, home: '/' };
  return { ...ids, chroot: homedir.slice(0, mark) || '/', home: path.posix.resolve('/', homedir.slice(mark + 3)) };
}

// The PAM service decides (its pam_shells and pam_listfile lines take the
// place of check_shell and /etc/ftpusers, as in vsftpd); the account a module
// may have mapped the name to must still be one a worker may run as.
async function pamAccountLogin(config: MiniftpConfig, service: string, user: string, password: string, client: string): Promise<Login | null> {
  let pam: PamSession;
  try {
    pam = await pamLogin(service, user, password, { rhost: client, tty: 'ftp' });
  } catch (err) {
    if (err instanceof PamError) return null;
    throw err;
  }
  const account = await workerAccount(pam.user).catch(() => null);
  if (account === null) {
    await pam.close().catch(() => {});
    return null;
  }
  const identity = await localIdentity(config, pam.user, account);
  if (identity === null) {
    await pam.close().catch(() => {});
    return null;
  }
  return { identity, pam };
}

/**
 * The identity `user` logs in as with `password`, or null: a wrong
 * password, an unknown, locked or expired user, a shell not in /etc/shells
 * (check_shell), a name in /etc/ftpusers, an account with uid 0 or primary
 * group 0 (for anonymous sessions, ftp_username; for virtual users, their
 * system user), or a kind of login the configuration does not allow all look
 * the same. With pam_service_name, a local user's login is the PAM
 * service's: `client` (an address) is its PAM_RHOST.
 */
export async function authenticate(config: MiniftpConfig, userDb: UserDb | null, user: string, password: string, client = ''): Promise<Login | null> {
  // The pre-login worker refuses such a name at USER; one that did not gets no login.
  if (await isRefusedByUserList(config, user)) return null;
  if (isAnonymousName(user)) {
    if (!config.anonymous_enable || !anonymousPasswordAccepted(config, password)) return null;
    const account = await workerAccount(config.ftp_username);
    if (account === null) return null;
    const { uid, gid, homedir } = account.entry;
    return { identity: { user: 'anonymous', uid, gid, groups: [gid], chroot: config.anon_root ?? homedir, home: '/', anonymous: true }, pam: null };
  }
  if (!config.local_enable) return null;
  const virtual = userDb?.get(user);
  if (virtual) {
    if (!(await verifyCryptHash(password, virtual.passwordHash)) || (await isFtpusersDenied(user))) return null;
    const account = await workerAccount(virtual.systemUser);
    if (account === null) return null;
    const { uid, gid } = account.entry;
    return { identity: { user, uid, gid, groups: account.groups, chroot: virtual.root, home: '/', anonymous: false }, pam: null };
  }
  if (config.pam_service_name) return pamAccountLogin(config, config.pam_service_name, user, password, client);
  if (!(await localLoginAllowed(userDb, user, password))) return null;
  const account = await workerAccount(user);
  if (account === null) return null;
  if (config.check_shell && !(await isListedShell(account.entry.shell))) return null;
  const identity = await localIdentity(config, user, account);
  return identity === null ? null : { identity, pam: null };
}

/**
 * One key per worker identity: sessions with the same key share a worker.
 * The name and home are part of it because a worker gives every session it
 * runs its identity's name (logs) and first directory.
 */
export function identityKey(identity: WorkerIdentity): string {
  return JSON.stringify([identity.uid, identity.gid, identity.groups, identity.chroot, identity.anonymous, identity.user, identity.home]);
}
