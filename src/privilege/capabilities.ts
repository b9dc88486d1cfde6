// Linux capabilities by name: reading the sets of the calling thread, and
// changing them on EVERY thread of the process (capset, bounding set,
// ambient set, keep-caps are per-thread in the kernel). Typically runs on
// the privileged side, before or while dropping privileges.
import { native } from '../native.js';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import { onEveryThread } from './every-thread.js';

/** Every capability, in kernel number order (CAP_CHOWN is 0). */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof CAPABILITIES)[number];

/** The five capability sets of a thread. */
export interface CapabilitySets {
  effective: CapabilityName[];
  permitted: CapabilityName[];
  inheritable: CapabilityName[];
  bounding: CapabilityName[];
  ambient: CapabilityName[];
}

const numbers = new Map<string, number>(CAPABILITIES.map((name, i) => [name, i]));
let lastCap: number | undefined;

/** The highest capability number the running kernel knows. */
export function lastCapability(): number {
  lastCap ??= native.capLastCap();
  return lastCap;
}

/**
 * The bit mask of a list of capability names.
 * @throws ERR_INVALID_ARG_TYPE for a non-array, ERR_INVALID_ARG_VALUE for an unknown name,
 *   ERR_OUT_OF_RANGE for a capability the running kernel does not know
 */
export function capabilityMask(names: readonly CapabilityName[], argName = 'capabilities'): bigint {
  if (!Array.isArray(names)) throw invalidArgType(argName, 'an array of capability names', names);
  let mask = 0n;
  for (const name of names) {
    const n = numbers.get(name as string);
    if (n === undefined) throw invalidArgValue(argName, name, 'must list capability names such as "CAP_NET_BIND_SERVICE"');
    if (n > lastCapability()) throw outOfRange(argName, `a capability this kernel knows (up to number ${lastCapability()})`, name);
    mask |= 1n << BigInt(n);
  }
  return mask;
}

/** The names of the capabilities in a mask, in number order. */
export function capabilityNames(mask: bigint): CapabilityName[] {
  return CAPABILITIES.filter((_, i) => (mask & (1n << BigInt(i))) !== 0n);
}

/**
 * The capability sets of the calling thread (capget, PR_CAPBSET_READ,
 * PR_CAP_AMBIENT_IS_SET). Every thread has its own; after the calls of
 * this module they all agree.
 * @throws system errors of capget/prctl
 */
export function getCapabilities(): CapabilitySets {
  const sets = native.capget();
  return {
    effective: capabilityNames(sets.effective),
    permitted: capabilityNames(sets.permitted),
    inheritable: capabilityNames(sets.inheritable),
    bounding: capabilityNames(native.boundingSet()),
    ambient: capabilityNames(native.ambientSet()),
  };
}

/**
 * Sets the effective, permitted and inheritable sets of every thread
 * (capset). Raising needs the capability in the permitted set (or
 * CAP_SETPCAP for the inheritable set); lowering never fails.
 * @throws EPERM (nothing changed); ERR_PRIVSEP_THREADS_DIVERGED when another thread refused
 */
export function setCapabilities(sets: { effective: readonly CapabilityName[]; permitted: readonly CapabilityName[]; inheritable: readonly CapabilityName[] }): void {
  if (typeof sets !== 'object' || sets === null) throw invalidArgType('sets', 'an object', sets);
  onEveryThread([{
    op: 'capset',
    effective: capabilityMask(sets.effective, 'sets.effective'),
    permitted: capabilityMask(sets.permitted, 'sets.permitted'),
    inheritable: capabilityMask(sets.inheritable, 'sets.inheritable'),
  }]);
}

/**
 * Removes capabilities from the bounding set of every thread, for good:
 * no program this process executes can gain them (PR_CAPBSET_DROP; needs
 * CAP_SETPCAP).
 * @throws EPERM without CAP_SETPCAP; ERR_PRIVSEP_THREADS_DIVERGED
 */
export function dropBoundingSet(names: readonly CapabilityName[]): void {
  onEveryThread([{ op: 'boundingDrop', mask: capabilityMask(names) }]);
}

/**
 * Raises capabilities in the ambient set of every thread, so that programs
 * this process executes keep them. Each must be permitted and inheritable.
 * @throws EPERM; ERR_PRIVSEP_THREADS_DIVERGED
 */
export function raiseAmbient(names: readonly CapabilityName[]): void {
  onEveryThread([{ op: 'ambientRaise', mask: capabilityMask(names) }]);
}

/** Lowers capabilities in the ambient set of every thread. @throws ERR_PRIVSEP_THREADS_DIVERGED */
export function lowerAmbient(names: readonly CapabilityName[]): void {
  onEveryThread([{ op: 'ambientLower', mask: capabilityMask(names) }]);
}

/** Empties the ambient set of every thread. @throws ERR_PRIVSEP_THREADS_DIVERGED */
export function clearAmbient(): void {
  onEveryThread([{ op: 'ambientClearAll' }]);
}

/**
 * Sets keep-caps on every thread: whether the permitted set survives a
 * change from uid 0 to another uid. It is cleared again at execve.
 * @throws ERR_INVALID_ARG_TYPE; ERR_PRIVSEP_THREADS_DIVERGED
 */
export function setKeepCaps(on: boolean): void {
  if (typeof on !== 'boolean') throw invalidArgType('on', 'of type boolean', on);
  onEveryThread([{ op: 'keepCaps', on }]);
}

/** Whether keep-caps is set on the calling thread. */
export function getKeepCaps(): boolean {
  return native.getKeepCaps();
}
