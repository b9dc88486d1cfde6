// Reads the credentials of every thread of a process straight from
// /proc/<pid>/task/*/status, independently of the library's own parser, and
// builds the expected capability masks.
import fs from 'node:fs';

/** The credential lines of one thread, whitespace collapsed: { Uid: '0 0 0 0', CapEff: '000...', ... }. */
export interface ThreadStatus {
  tid: number;
  fields: Record<string, string>;
}

export const CREDENTIAL_FIELDS = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'] as const;

export function readThreads(pid: number | 'self'): ThreadStatus[] {
  const threads: ThreadStatus[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue;
    }
    const fields: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim().split(/\s+/).join(' ');
    }
    threads.push({ tid: Number(tid), fields });
  }
  return threads;
}

export const SCHED_OTHER = 0;
export const SCHED_IDLE = 5;

/** The scheduling policy of each thread of `pid` (field 41 of /proc/PID/task/TID/stat); threads gone meanwhile are left out. */
export function threadPolicies(pid: number): number[] {
  const policies: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      policies.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]));
    } catch {
      // exited
    }
  }
  return policies;
}

/** The status of the whole process (its main thread). */
export function readStatus(pid: number | 'self'): Record<string, string> {
  return readThreads(pid).find((t) => pid === 'self' || t.tid === pid)!.fields;
}

/** A capability mask as /proc prints it, from capability numbers. */
export function capHex(...caps: number[]): string {
  let mask = 0n;
  for (const cap of caps) mask |= 1n << BigInt(cap);
  return mask.toString(16).padStart(16, '0');
}

/** The intersection of two /proc masks. */
export function andHex(a: string, b: string): string {
  return (BigInt(`0x${a}`) & BigInt(`0x${b}`)).toString(16).padStart(16, '0');
}

/** Field-by-field differences of every thread from `expected` (empty when all match). */
export function mismatches(threads: ThreadStatus[], expected: Partial<Record<(typeof CREDENTIAL_FIELDS)[number], string>>): string[] {
  const wrong: string[] = [];
  for (const thread of threads) {
    for (const [key, want] of Object.entries(expected)) {
      if (thread.fields[key] !== want) wrong.push(`tid ${thread.tid} ${key}: ${thread.fields[key]} (expected ${want})`);
    }
  }
  return wrong;
}

export const CAP = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  NET_BIND_SERVICE: 10,
  NET_RAW: 13,
  SYS_CHROOT: 18,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
} as const;
