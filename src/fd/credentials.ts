// SCM_CREDENTIALS: the pid, uid and gid the kernel vouches for on each
// received message, and the credentials a sender may state on its own.
import type { NativePeerCred } from '../native.js';
import { checkInteger, invalidArgType } from '../errors.js';

/** A peer's pid, uid and gid, as the kernel checked them (exported as PeerCredentials). */
export type PeerCredentials = NativePeerCred;

/** Slots of the addon's credentials array: [present, pid, uid, gid]. */
export const CREDENTIAL_SLOTS = 4;

/**
 * @internal The credentials in `slots` from `at` on. Null when none came,
 * or when the kernel had none to give: pid 0 (with the overflow uid 65534)
 * for a message queued before the receiver turned SO_PASSCRED on, and pid
 * 0 for a sender outside the receiver's pid namespace.
 */
export function readCredentials(slots: Int32Array, at = 0): PeerCredentials | null {
  if (slots[at] !== 1 || slots[at + 1] === 0) return null;
  return { pid: slots[at + 1]!, uid: slots[at + 2]! >>> 0, gid: slots[at + 3]! >>> 0 };
}

/** @internal Whether two received credentials are the same (null: none). */
export function sameCredentials(a: PeerCredentials | null, b: PeerCredentials | null): boolean {
  if (a === null || b === null) return a === b;
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}

/**
 * @internal [pid, uid, gid] for the addon from credentials a sender states;
 * a field left out is this process's own (pid, real uid, real gid). The
 * kernel decides what may be stated: EPERM unless the pid is the sender's
 * (or it has CAP_SYS_ADMIN) and the uid and gid are among its real,
 * effective and saved ids (or it has CAP_SETUID / CAP_SETGID).
 * @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE
 */
export function statedCredentials(name: string, value: Partial<PeerCredentials>): Int32Array {
  if (typeof value !== 'object' || value === null) throw invalidArgType(name, 'an object with pid, uid and gid', value);
  const pid = checkInteger(`${name}.pid`, value.pid ?? process.pid, 1, 0x7fffffff);
  // (uid_t)-1 means "no change" to the kernel, never an id.
  const uid = checkInteger(`${name}.uid`, value.uid ?? process.getuid!(), 0, 0xfffffffe);
  const gid = checkInteger(`${name}.gid`, value.gid ?? process.getgid!(), 0, 0xfffffffe);
  return Int32Array.of(pid, uid, gid);
}
