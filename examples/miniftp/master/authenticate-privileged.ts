// Login checks in the master: anonymous, virtual users (user_db) and local
// users (shadow + crypt, off the main thread). Decides the identity a
// session's worker runs as. Privileged side: look for suitable paranoia here.
import { checkPassword, resolveIdentity, verifyCryptHash } from 'privsep';
import type { MiniftpConfig } from '../config-table.js';
import type { WorkerIdentity } from '../protocols.js';
import type { UserDb } from '../user-db.js';

const ANONYMOUS_NAMES = new Set(['anonymous', 'ftp']);

export function isAnonymousName(user: string): boolean {
  return ANONYMOUS_NAMES.has(user.toLowerCase());
}

/**
 * The identity `user` logs in as with `password`, or null: a wrong
 * password, an unknown or locked user, root, or a kind of login the
 * configuration does not allow all look the same.
 */
export async function authenticate(config: MiniftpConfig, userDb: UserDb | null, user: string, password: string): Promise<WorkerIdentity | null> {
  if (isAnonymousName(user)) {
    if (!config.anonymous_enable) return null;
    const id = await resolveIdentity(config.ftp_username);
    return {
      user: 'anonymous', uid: id.uid, gid: id.gid, groups: [id.gid],
      chroot: config.anon_root ?? id.homedir, home: '/', anonymous: true,
    };
  }
  if (!config.local_enable) return null;
  const virtual = userDb?.get(user);
  if (virtual) {
    if (!(await verifyCryptHash(password, virtual.passwordHash))) return null;
    const id = await resolveIdentity(virtual.systemUser);
    return { user, uid: id.uid, gid: id.gid, groups: id.groups, chroot: virtual.root, home: '/', anonymous: false };
  }
  let ok: boolean;
  try {
    ok = await checkPassword(user, password);
  } catch {
    ok = false;
  }
  if (!ok) return null;
  const id = await resolveIdentity(user);
  // Like vsftpd's default ftpusers: root never logs in over FTP.
  if (id.uid === 0) return null;
  const start = config.local_root ?? id.homedir;
  return config.chroot_local_user
    ? { user, uid: id.uid, gid: id.gid, groups: id.groups, chroot: start, home: '/', anonymous: false }
    : { user, uid: id.uid, gid: id.gid, groups: id.groups, chroot: null, home: start, anonymous: false };
}

/** One key per process identity: sessions with the same key share a worker. */
export function identityKey(identity: WorkerIdentity): string {
  return JSON.stringify([identity.uid, identity.gid, identity.groups, identity.chroot, identity.anonymous]);
}
