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

// The status lines read, each once (a status has about 60 lines).
const FIELDS = new Set(['Name', 'Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs']);

function fields(status: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of status.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && FIELDS.has(line.slice(0, colon))) found.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return found;
}

function numbers(text: string): number[] {
  return text.length === 0 ? [] : text.split(/\s+/).map(Number);
}

/** Parses the text of a /proc/<pid>/task/<tid>/status file. */
export function parseThreadStatus(tid: number, status: string): RawThreadCredentials {
  const found = fields(status);
  const field = (key: string): string => {
    const value = found.get(key);
    if (value === undefined) throw new Error(`/proc status has no ${key} line`);
    return value;
  };
  return {
    tid,
    name: field('Name'),
    uid: numbers(field('Uid')),
    gid: numbers(field('Gid')),
    groups: numbers(field('Groups')).sort((a, b) => a - b),
    capInh: BigInt(`0x${field('CapInh')}`),
    capPrm: BigInt(`0x${field('CapPrm')}`),
    capEff: BigInt(`0x${field('CapEff')}`),
    capBnd: BigInt(`0x${field('CapBnd')}`),
    capAmb: BigInt(`0x${field('CapAmb')}`),
    noNewPrivs: field('NoNewPrivs') === '1',
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
