// Reading what a listing shows: a directory's names (one thread-pool task;
// sorted, dotfiles only when asked), their lstat in batches (thread-pool tasks of a few hundred
// fstatat calls, several at once: the event loop never waits on the disk),
// and the MLSx permission facts. Runs in a worker.
import fs from 'node:fs';
import path from 'node:path';
import { lstatBatch, readdirNames, type LstatRecord } from 'privsep';
import type { ListEntry, MlsxEntry } from '../../ftp/index.js';
import type { IdNameLookup } from './engine-options.js';
import { isDirectoryMode, isFileMode, isSymlinkMode, mlsxTypeOfMode } from '../../ftp/index.js';

/** The facts of an entry a listing shows (fs.Stats has them all, and so has the library's LstatRecord). */
export type EntryStats = LstatRecord;

/** One listed name with its lstat (and link target). */
export interface StatedEntry {
  name: string;
  stats: EntryStats;
  target?: string;
}

// Names per lstat task, and tasks in flight: two keep both cores busy, and
// few records wait at a time (a worker's young generation is small: records
// that outlive a scavenge or two are copied and promoted, which costs more
// than the lstat calls themselves).
const BATCH = 256;
const IN_FLIGHT = 2;

/** A directory with more entries than a listing may show. */
export class TooManyEntriesError extends Error {
  readonly code = 'ERR_MINIFTP_TOO_MANY_ENTRIES';
  constructor(limit: number) {
    super(`Directory has more than ${limit} entries; list a pattern or a subdirectory.`);
    this.name = 'TooManyEntriesError';
  }
}

/**
 * The names in a real directory, sorted by code unit as `ls` sorts in the C
 * locale; dotfiles only with `all` (then "." and ".." too, as `ls -a`).
 * Read in one thread-pool task, and never more than `maxEntries`.
 * @throws the opendir errors (ENOENT, ENOTDIR, EACCES); TooManyEntriesError
 */
export async function readNames(realDir: string, all: boolean, maxEntries: number): Promise<string[]> {
  // Sorted by UTF-16 code unit, as `ls` sorts in the C locale for all but rare scripts.
  const names = await readdirNames(realDir, maxEntries);
  if (names === null) throw new TooManyEntriesError(maxEntries);
  if (!all) return names.filter((name) => !name.startsWith('.'));
  // "." and ".." where that order puts them (a name such as "-x" comes first).
  for (const dot of ['.', '..']) {
    let at = 0;
    while (at < names.length && names[at]! < dot) at++;
    names.splice(at, 0, dot);
  }
  return names;
}

// One batch, in order; entries that vanished (or a directory that did) are left out.
async function statSlice(realDir: string, names: readonly string[], isRoot: boolean): Promise<StatedEntry[]> {
  // `..` of the root shows the root itself, so nothing is learned about what lies above it.
  const asked = isRoot ? names.map((name) => (name === '..' ? '.' : name)) : names;
  let records;
  try {
    records = await lstatBatch(realDir, asked);
  } catch {
    return [];
  }
  const batch: StatedEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const stats = records[i];
    if (!stats) continue;
    const entry: StatedEntry = { name: names[i]!, stats };
    if (isSymlinkMode(stats.mode)) {
      try {
        entry.target = fs.readlinkSync(path.join(realDir, entry.name));
      } catch {
        // Replaced meanwhile: shown without its target.
      }
    }
    batch.push(entry);
  }
  return batch;
}

/**
 * lstat of each name in `realDir`, in batches yielded in the order given;
 * names that vanished meanwhile are left out.
 */
export async function* statEntries(realDir: string, names: readonly string[], isRoot: boolean): AsyncGenerator<StatedEntry[]> {
  const pending: Array<Promise<StatedEntry[]>> = [];
  let next = 0;
  const launch = (): void => {
    pending.push(statSlice(realDir, names.slice(next, next + BATCH), isRoot));
    next += BATCH;
  };
  while (next < names.length && pending.length < IN_FLIGHT) launch();
  while (pending.length > 0) {
    const batch = await pending.shift()!;
    if (next < names.length) launch();
    yield batch;
  }
}

/** The LIST facts of an entry. */
export function listEntry(entry: StatedEntry, names: IdNameLookup | null): ListEntry {
  const { stats } = entry;
  return {
    name: entry.name,
    mode: stats.mode,
    nlink: stats.nlink,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    mtime: new Date(stats.mtimeMs),
    ownerName: names?.user(stats.uid),
    groupName: names?.group(stats.gid),
    target: entry.target,
  };
}

/** The process's user and groups, which decide what the kernel lets the session do. */
export interface ProcessIds {
  uid: number;
  gids: ReadonlySet<number>;
}

/**
 * The ids of this process now: read per listing, since a worker loads its
 * code as root and drops to the user's ids only afterwards.
 */
export function processIds(): ProcessIds {
  return { uid: process.getuid?.() ?? -1, gids: new Set([process.getgid?.() ?? -1, ...(process.getgroups?.() ?? [])]) };
}

// The rwx bits of `stats` that apply to `ids` (root: all, x only where someone has it).
function access(stats: EntryStats, ids: ProcessIds): { r: boolean; w: boolean; x: boolean } {
  if (ids.uid === 0) return { r: true, w: true, x: (stats.mode & 0o111) !== 0 || isDirectoryMode(stats.mode) };
  const shift = stats.uid === ids.uid ? 6 : ids.gids.has(stats.gid) ? 3 : 0;
  const bits = (stats.mode >> shift) & 7;
  return { r: (bits & 4) !== 0, w: (bits & 2) !== 0, x: (bits & 1) !== 0 };
}

/**
 * RFC 3659's perm fact for an entry, from its mode bits as they apply to
 * the session's user, and whether the session may write at all
 * (write_enable). Deleting and renaming really depend on the directory
 * holding the entry; the fact is a hint, as the RFC allows.
 */
export function permFact(stats: EntryStats, writable: boolean, ids: ProcessIds): string {
  const { r, w, x } = access(stats, ids);
  let perm = '';
  if (isDirectoryMode(stats.mode)) {
    if (x) perm += 'e';
    if (r && x) perm += 'l';
    if (writable && w && x) perm += 'cmp';
  } else {
    if (r) perm += 'r';
    if (writable && w) perm += 'aw';
  }
  if (writable) perm += 'df';
  return perm;
}

/**
 * permFact for the entries of one listing: each distinct mode and relation
 * of the entry to the session's user (owner, group, other) worked out once.
 */
export class PermFacts {
  readonly #writable: boolean;
  readonly #ids: ProcessIds;
  readonly #facts = new Map<number, string>();

  constructor(writable: boolean, ids: ProcessIds) {
    this.#writable = writable;
    this.#ids = ids;
  }

  of(stats: EntryStats): string {
    const ids = this.#ids;
    // What access() looks at besides the mode.
    const relation = ids.uid === 0 ? 0 : stats.uid === ids.uid ? 1 : ids.gids.has(stats.gid) ? 2 : 3;
    const key = stats.mode * 4 + relation;
    let fact = this.#facts.get(key);
    if (fact === undefined) {
      fact = permFact(stats, this.#writable, ids);
      this.#facts.set(key, fact);
    }
    return fact;
  }
}

/** How listings show owners and groups: hidden (hide_ids), by name (text_userdb_names), or by number. */
export interface IdShowing {
  hidden: boolean;
  names: IdNameLookup | null;
}

/** The MLSx facts of an entry, `perm` its permFact; hidden ids leave the uid, gid and name facts out. */
export function mlsxEntry(name: string, stats: EntryStats, perm: string, showing: IdShowing): MlsxEntry {
  const shown = !showing.hidden;
  return {
    name,
    type: mlsxTypeOfMode(stats.mode),
    size: isFileMode(stats.mode) || isDirectoryMode(stats.mode) ? stats.size : undefined,
    mtime: new Date(stats.mtimeMs),
    perm,
    mode: stats.mode,
    uid: shown ? stats.uid : undefined,
    gid: shown ? stats.gid : undefined,
    ownerName: shown ? showing.names?.user(stats.uid) : undefined,
    groupName: shown ? showing.names?.group(stats.gid) : undefined,
  };
}
