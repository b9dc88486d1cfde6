// The credentials of every thread of this process, as the kernel reports
// them in /proc/self/task/<tid>/status: the facts changeCredentials checks
// after a drop, since each thread has its own. Either side of the boundary.
import { capabilityNames, type CapabilityName } from './capabilities.js';
import { readOwnThreadStatus } from './every-thread.js';

/** Real, effective, saved and filesystem ids. */
export interface IdSet {
  real: number;
  effective: number;
  saved: number;
  filesystem: number;
}

/** What one thread runs with. */
export interface ThreadCredentials {
  tid: number;
  /** The thread's name (comm). */
  name: string;
  uid: IdSet;
  gid: IdSet;
  groups: number[];
  capabilities: {
    inheritable: CapabilityName[];
    permitted: CapabilityName[];
    effective: CapabilityName[];
    bounding: CapabilityName[];
    ambient: CapabilityName[];
  };
  noNewPrivs: boolean;
}

/** The status fields as masks, for exact comparison. */
export interface RawThreadCredentials {
  tid: number;
  name: string;
  uid: number[];
  gid: number[];
  groups: number[];
  capInh: bigint;
  capPrm: bigint;
  capEff: bigint;
  capBnd: bigint;
  capAmb: bigint;
  noNewPrivs: boolean;
}

function field(status: string, key: string): string {
  const match = new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(status);
  if (match === null) throw new Error(`/proc status has no ${key} line`);
  return match[1]!.trim();
}

function numbers(text: string): number[] {
  return text.length === 0 ? [] : text.split(/\s+/).map(Number);
}

/** Parses the text of a /proc/<pid>/task/<tid>/status file. */
export function parseThreadStatus(tid: number, status: string): RawThreadCredentials {
  return {
    tid,
    name: field(status, 'Name'),
    uid: numbers(field(status, 'Uid')),
    gid: numbers(field(status, 'Gid')),
    groups: numbers(field(status, 'Groups')).sort((a, b) => a - b),
    capInh: BigInt(`0x${field(status, 'CapInh')}`),
    capPrm: BigInt(`0x${field(status, 'CapPrm')}`),
    capEff: BigInt(`0x${field(status, 'CapEff')}`),
    capBnd: BigInt(`0x${field(status, 'CapBnd')}`),
    capAmb: BigInt(`0x${field(status, 'CapAmb')}`),
    noNewPrivs: field(status, 'NoNewPrivs') === '1',
  };
}

/** The raw credentials of every thread of this process. */
export function readRawThreadCredentials(): RawThreadCredentials[] {
  return readOwnThreadStatus().map(({ tid, status }) => parseThreadStatus(tid, status));
}

function idSet(ids: number[]): IdSet {
  return { real: ids[0]!, effective: ids[1]!, saved: ids[2]!, filesystem: ids[3]! };
}

/** The public form of a parsed status. */
export function toThreadCredentials(t: RawThreadCredentials): ThreadCredentials {
  return {
    tid: t.tid,
    name: t.name,
    uid: idSet(t.uid),
    gid: idSet(t.gid),
    groups: t.groups,
    capabilities: {
      inheritable: capabilityNames(t.capInh),
      permitted: capabilityNames(t.capPrm),
      effective: capabilityNames(t.capEff),
      bounding: capabilityNames(t.capBnd),
      ambient: capabilityNames(t.capAmb),
    },
    noNewPrivs: t.noNewPrivs,
  };
}

/**
 * The credentials of every thread of this process (works after a chroot
 * too, through a descriptor of /proc/self/task opened earlier).
 * @throws ENOENT when /proc was never reachable
 */
export function threadCredentials(): ThreadCredentials[] {
  return readRawThreadCredentials().map(toThreadCredentials);
}
