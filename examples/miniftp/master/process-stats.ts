// The master's memory report: every process's own heap numbers (the `stats`
// requests, a full collection first when they run with --expose-gc) with its
// resident size and open fds as /proc shows them to root. One JSON line on
// SIGUSR1 (see docs/miniftp-design.md, "Memory of each process").
import fs from 'node:fs';
import type { HeapStats } from '../heap-stats.js';

export interface ProcessStats extends Partial<HeapStats> {
  role: 'master' | 'helper' | 'gate' | 'prelogin' | 'user';
  pid: number;
  /** A user worker's user ('anonymous' for the anonymous worker). */
  user?: string;
  /** Sessions the master counts in this process (all of them for the master). */
  sessions?: number;
  /** Resident set size in bytes (VmRSS of /proc/PID/status). */
  rss: number | null;
  /** Open fds (/proc/PID/fd). */
  fds: number | null;
  /** Why the process gave no heap numbers. */
  error?: string;
}

export interface StatsSource {
  role: ProcessStats['role'];
  pid: number;
  user?: string;
  sessions?: number;
  /** The process's answer to `stats`: HeapStats as JSON. */
  heap: () => Promise<HeapStats>;
  /** Anything else worth showing for this process (the master's own tables). */
  extra?: Record<string, number>;
}

// A process that does not answer in this time is reported as such.
const ANSWER_MS = 10_000;

/** The stats of every source, in order; never rejects. */
export function collectStats(sources: readonly StatsSource[]): Promise<ProcessStats[]> {
  return Promise.all(sources.map(async (source): Promise<ProcessStats> => {
    const base = { role: source.role, pid: source.pid, user: source.user, sessions: source.sessions, ...source.extra };
    let heap: HeapStats | null = null;
    let error: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      heap = await Promise.race([
        source.heap(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${ANSWER_MS} ms`)), ANSWER_MS);
        }),
      ]);
    } catch (err) {
      error = (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
    // Read after the collection, so that rss shows what it freed.
    return { ...base, ...heap, ...procMemory(source.pid), ...(error ? { error } : {}) };
  }));
}

/** Parses a `stats` answer. */
export function parseHeapStats(json: Buffer): HeapStats {
  return JSON.parse(json.toString()) as HeapStats;
}

function procMemory(pid: number): { rss: number | null; fds: number | null } {
  let rss: number | null = null;
  let fds: number | null = null;
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (kib) rss = Number(kib[1]) * 1024;
  } catch {
    // Gone meanwhile.
  }
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // Gone meanwhile.
  }
  return { rss, fds };
}
