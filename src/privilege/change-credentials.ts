// changeCredentials: drops the running process to a target identity, in one
// fixed order (vsftpd's secutil.c: groups, chdir, chroot, rlimits, keep-caps,
// setgid, setuid, capabilities, no_new_privs), then checks the result on
// every thread and that there is no way back. Privileged side: look for
// suitable paranoia in this file.
import fs from 'node:fs';
import { native, type NativeThreadStep } from '../native.js';
import { PrivsepError, errnoError, invalidArgType, invalidArgValue, isErrnoError } from '../errors.js';
import { checkGroups, checkOptionNames, optionalBoolean, optionalPath } from './options.js';
import { capabilityMask, type CapabilityName } from './capabilities.js';
import { onEveryThread } from './every-thread.js';
import { type ResourceLimit, type ResourceLimitName, checkResourceLimit } from './resource-limits.js';
import { type RawThreadCredentials, type ThreadCredentials, readRawThreadCredentials, toThreadCredentials } from './thread-credentials.js';
import { checkId, resolveIdentity, sortedUnique } from './users.js';

export interface ChangeCredentialsOptions {
  /** A user name or uid: gives the uid, gid and groups (its group list) unless those are given too. */
  user?: string | number;
  uid?: number;
  /** Required with `uid` when no `user` is given. */
  gid?: number;
  /** Supplementary groups; default: the user's, or none when only uid/gid are given. */
  groups?: readonly number[];
  /** Directory to make the root (chdir into it, chroot "."). */
  chroot?: string;
  /** Working directory afterwards, inside the new root if there is one (default "/" after a chroot, else unchanged). */
  cwd?: string;
  /** Resource limits to set while still privileged; a number sets soft and hard. */
  rlimits?: Partial<Record<ResourceLimitName, number | ResourceLimit>>;
  /** Capabilities to keep (permitted, effective, bounding); every other one goes. Default: none. */
  capabilities?: readonly CapabilityName[];
  /** Also keep `capabilities` across execve (inheritable and ambient sets). Default false. */
  ambient?: boolean;
  /** Set no_new_privs. Default true. */
  noNewPrivs?: boolean;
  /** Set the dumpable flag at the end; default: leave it (a uid change clears it). */
  dumpable?: boolean;
}

const OPTION_NAMES = new Set(['user', 'uid', 'gid', 'groups', 'chroot', 'cwd', 'rlimits', 'capabilities', 'ambient', 'noNewPrivs', 'dumpable']);
const CAP_SETGID = 1n << 6n;
const CAP_SETUID = 1n << 7n;

/** Everything decided before the first change. */
interface CredentialPlan {
  uid: number | null;
  gid: number | null;
  groups: number[] | null;
  chroot: string | null;
  cwd: string | null;
  rlimits: Array<[ResourceLimitName, number, number]>;
  keep: bigint;
  ambient: boolean;
  noNewPrivs: boolean;
  dumpable: boolean | null;
}

/**
 * Drops the privileges of this process for good: supplementary groups, then
 * working directory and chroot, resource limits, gid, uid, and capabilities
 * (only `capabilities` stay, on every thread, and the bounding set shrinks to
 * them), then no_new_privs. Afterwards it reads the credentials of every
 * thread from /proc and checks that each is exactly as asked, and that
 * setuid(0) (and setgid(0)) fail with EPERM, unless the target is uid 0 or
 * CAP_SETUID was kept on purpose. Lookups happen first, off the main thread;
 * the changes themselves run in one synchronous sequence.
 *
 * When this rejects after the first change, the process is in an unknown
 * state and must exit.
 * @returns the credentials of every thread, as verified
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options (nothing changed);
 *   ERR_PRIVSEP_UNKNOWN_USER; EPERM for an unprivileged caller (syscall 'setgroups', 'prctl', ...: nothing changed);
 *   ENOENT/ENOTDIR/EACCES for `chroot` or `cwd` (checked before the first change too); ERR_PRIVSEP_THREADS_DIVERGED;
 *   ERR_PRIVSEP_CREDENTIALS_MISMATCH when a thread does not have the intended credentials;
 *   ERR_PRIVSEP_NOT_DROPPED when setuid(0) or setgid(0) still succeeds
 */
export async function changeCredentials(options: ChangeCredentialsOptions): Promise<ThreadCredentials[]> {
  const plan = await planCredentials(options);
  // Also opens /proc/self/task, which a chroot would hide.
  const before = readRawThreadCredentials();
  const bounding = native.boundingSet();
  applyCredentials(plan, before, bounding);
  return verifyCredentials(plan, before, bounding).map(toThreadCredentials);
}

async function planCredentials(options: ChangeCredentialsOptions): Promise<CredentialPlan> {
  checkOptionNames(options, OPTION_NAMES, 'changeCredentials');
  const keep = capabilityMask(options.capabilities ?? [], 'options.capabilities');
  const chroot = optionalPath('options.chroot', options.chroot, true);
  const cwd = optionalPath('options.cwd', options.cwd, true);
  // Caught here, a missing directory leaves the process untouched.
  if (chroot !== null) checkDirectory(chroot);
  else if (cwd !== null) checkDirectory(cwd);
  const rlimits = planLimits(options.rlimits);
  const ambient = optionalBoolean('options.ambient', options.ambient) ?? false;
  const noNewPrivs = optionalBoolean('options.noNewPrivs', options.noNewPrivs) ?? true;
  const dumpable = optionalBoolean('options.dumpable', options.dumpable) ?? null;
  let uid = options.uid === undefined ? null : checkId('options.uid', options.uid);
  let gid = options.gid === undefined ? null : checkId('options.gid', options.gid);
  let groups = options.groups === undefined ? null : checkGroups('options.groups', options.groups);
  if (options.user !== undefined) {
    const identity = await resolveIdentity(options.user);
    uid ??= identity.uid;
    gid ??= identity.gid;
    groups ??= identity.groups;
  } else if (uid !== null && gid === null) {
    throw invalidArgValue('options.gid', gid, 'is required with options.uid (or give options.user)');
  }
  // A new identity never inherits root's supplementary groups by default.
  if (groups === null && (uid !== null || gid !== null)) groups = [];
  return { uid, gid, groups, chroot, cwd, rlimits, keep, ambient, noNewPrivs, dumpable };
}

function applyCredentials(plan: CredentialPlan, before: RawThreadCredentials[], bounding: bigint): void {
  const current = callingThread(before);
  // setgroups is the first change of the thread pass below; an unprivileged
  // caller is refused before the chroot and chdir, with nothing changed.
  if (plan.groups !== null && (current.capEff & CAP_SETGID) === 0n) throw errnoError('EPERM', 'setgroups');
  if (plan.chroot !== null) {
    process.chdir(plan.chroot);
    native.chroot('.');
    process.chdir(plan.cwd ?? '/');
  } else if (plan.cwd !== null) {
    process.chdir(plan.cwd);
  }
  for (const [name, soft, hard] of plan.rlimits) native.setrlimit(name, soft, hard);

  // Every per-thread change in one pass, so that each thread is interrupted
  // once (glibc's set*id wrappers would interrupt all of them once per call).
  // keep-caps and the bounding set go before the uid changes, while
  // CAP_SETPCAP is effective.
  const leavesRoot = plan.uid !== null && plan.uid !== 0 && current.uid.slice(0, 3).includes(0);
  const steps: NativeThreadStep[] = [];
  if (plan.groups !== null) steps.push({ op: 'setgroups', groups: plan.groups });
  if (plan.keep !== 0n && leavesRoot) steps.push({ op: 'keepCaps', on: true });
  const drop = bounding & ~plan.keep;
  if (drop !== 0n) steps.push({ op: 'boundingDrop', mask: drop });
  if (plan.gid !== null) steps.push({ op: 'setresgid', id: plan.gid });
  if (plan.uid !== null) steps.push({ op: 'setresuid', id: plan.uid });
  steps.push(
    { op: 'capset', effective: plan.keep, permitted: plan.keep, inheritable: plan.ambient ? plan.keep : 0n },
    { op: 'keepCaps', on: false },
    { op: 'ambientClearAll' },
  );
  if (plan.ambient && plan.keep !== 0n) steps.push({ op: 'ambientRaise', mask: plan.keep });
  if (plan.noNewPrivs) steps.push({ op: 'noNewPrivs' });
  onEveryThread(steps);
  if (plan.dumpable !== null) native.setDumpable(plan.dumpable);
}

function verifyCredentials(plan: CredentialPlan, before: RawThreadCredentials[], bounding: bigint): RawThreadCredentials[] {
  const current = callingThread(before);
  const uid = plan.uid === null ? current.uid : [plan.uid, plan.uid, plan.uid, plan.uid];
  const gid = plan.gid === null ? current.gid : [plan.gid, plan.gid, plan.gid, plan.gid];
  const groups = plan.groups === null ? current.groups : sortedUnique(plan.groups);
  const expected: Array<[string, (t: RawThreadCredentials) => string, string]> = [
    ['Uid', (t) => t.uid.join(' '), uid.join(' ')],
    ['Gid', (t) => t.gid.join(' '), gid.join(' ')],
    ['Groups', (t) => t.groups.join(' '), groups.join(' ')],
    ['CapInh', (t) => hex(t.capInh), hex(plan.ambient ? plan.keep : 0n)],
    ['CapPrm', (t) => hex(t.capPrm), hex(plan.keep)],
    ['CapEff', (t) => hex(t.capEff), hex(plan.keep)],
    ['CapBnd', (t) => hex(t.capBnd), hex(bounding & plan.keep)],
    ['CapAmb', (t) => hex(t.capAmb), hex(plan.ambient ? plan.keep : 0n)],
    ['NoNewPrivs', (t) => (t.noNewPrivs ? '1' : '0'), plan.noNewPrivs || current.noNewPrivs ? '1' : '0'],
  ];
  const after = readRawThreadCredentials();
  const wrong: string[] = [];
  for (const thread of after) {
    for (const [key, actual, want] of expected) {
      if (actual(thread) !== want) wrong.push(`thread ${thread.tid} (${thread.name}) ${key} ${actual(thread)}, expected ${want}`);
    }
  }
  if (wrong.length > 0) {
    throw Object.assign(
      new PrivsepError('ERR_PRIVSEP_CREDENTIALS_MISMATCH', `credentials not as intended after the change: ${wrong.join('; ')}`),
      { mismatches: wrong },
    );
  }
  const finalUid = uid[0]!;
  const finalGid = gid[0]!;
  if (finalUid !== 0 && (plan.keep & CAP_SETUID) === 0n) expectRefused(() => native.setresuid(0, 0, 0), 'setuid(0)');
  if (finalUid !== 0 && finalGid !== 0 && (plan.keep & CAP_SETGID) === 0n) expectRefused(() => native.setresgid(0, 0, 0), 'setgid(0)');
  return after;
}

function expectRefused(attempt: () => void, what: string): void {
  try {
    attempt();
  } catch (err) {
    if (isErrnoError(err, 'EPERM')) return;
    throw new PrivsepError('ERR_PRIVSEP_NOT_DROPPED', `${what} failed other than with EPERM after the change`, { cause: err });
  }
  throw new PrivsepError('ERR_PRIVSEP_NOT_DROPPED', `${what} still succeeds after the change; the process must exit`);
}

// The main thread's entry (its tid is the pid): the state every other
// thread is compared with.
function callingThread(threads: RawThreadCredentials[]): RawThreadCredentials {
  return threads.find((t) => t.tid === process.pid) ?? threads[0]!;
}

function hex(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}

function checkDirectory(dir: string): void {
  if (!fs.statSync(dir).isDirectory()) throw errnoError('ENOTDIR', 'chdir', { path: dir });
}

function planLimits(rlimits: ChangeCredentialsOptions['rlimits']): Array<[ResourceLimitName, number, number]> {
  if (rlimits === undefined) return [];
  if (typeof rlimits !== 'object' || rlimits === null) throw invalidArgType('options.rlimits', 'an object', rlimits);
  return Object.entries(rlimits).map(([name, limit]) => checkResourceLimit(`options.rlimits.${name}`, name, limit));
}
