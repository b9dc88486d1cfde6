// Reading what a listing shows: a directory's names and the lstat of each
// (one thread-pool task; sorted, dotfiles only when asked; the event loop
// never waits on the disk), the shown names' facts as one typed array, and
// the MLSx permission facts. Runs in a worker.
import fs from 'node:fs';
import path from 'node:path';
import { LSTAT_RECORD_LENGTH, LstatField, lstatBatch, readdirStat, type DirectoryStats, type LstatRecord } from 'privsep';
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

/**
 * The entries a listing shows, found by lstat, in order: entry i is named
 * names[i], its record (laid out as the library's LstatField says) starts at
 * at[i] in records, and a symbolic link's target is in targets.
 */
export interface StatedNames {
  names: string[];
  records: Float64Array;
  at: Int32Array;
  targets: Map<number, string>;
}

/** A directory with more entries than a listing may show. */
export class TooManyEntriesError extends Error {
  readonly code = 'ERR_MINIFTP_TOO_MANY_ENTRIES';
  constructor(limit: number) {
    super(`Directory has more than ${limit} entries; list a pattern or a subdirectory.`);
    this.name = 'TooManyEntriesError';
  }
}

/** A directory's names to show, and the directory as read (with every entry's lstat). */
export interface NamesRead {
  names: string[];
  read: DirectoryStats;
}

/**
 * The names in a real directory, sorted by code unit as `ls` sorts in the C
 * locale; dotfiles only with `all` (then "." and ".." too, as `ls -a`).
 * Read, with the lstat of each, in one thread-pool task, and never more than `maxEntries`.
 * @throws the opendir errors (ENOENT, ENOTDIR, EACCES); TooManyEntriesError
 */
export async function readDirectory(realDir: string, all: boolean, maxEntries: number): Promise<NamesRead> {
  const read = await readdirStat(realDir, maxEntries);
  if (read === null) throw new TooManyEntriesError(maxEntries);
  if (!all) return { names: read.names.filter((name) => !name.startsWith('.')), read };
  const names = read.names.slice();
  // "." and ".." where that order puts them (a name such as "-x" comes first).
  for (const dot of ['.', '..']) {
    let at = 0;
    while (at < names.length && names[at]! < dot) at++;
    names.splice(at, 0, dot);
  }
  return { names, read };
}

/** {@link readDirectory}'s names alone. */
export async function readNames(realDir: string, all: boolean, maxEntries: number): Promise<string[]> {
  return (await readDirectory(realDir, all, maxEntries)).names;
}

const F = LSTAT_RECORD_LENGTH;

/**
 * The lstat of each of `names` in `realDir`, in order: from `read` (the
 * directory as read, `names` a subsequence of its names), else (for "." and
 * "..", or without `read`) by lstatBatch in one more task. Names that
 * vanished meanwhile (or a directory that did) are left out.
 */
export async function statNames(realDir: string, names: readonly string[], isRoot: boolean, read: DirectoryStats | null): Promise<StatedNames> {
  const offsets = new Int32Array(names.length).fill(-1);
  const missing: number[] = [];
  if (read !== null) {
    const known = read.names;
    let next = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      let q = next;
      while (q < known.length && known[q] !== name) q++;
      if (q < known.length && !(isRoot && name === '..')) {
        offsets[i] = q * F;
        next = q + 1;
      } else {
        missing.push(i);
      }
    }
  } else {
    for (let i = 0; i < names.length; i++) missing.push(i);
  }
  let records = read?.records ?? new Float64Array(0);
  if (missing.length > 0) {
    // `..` of the root shows the root itself, so nothing is learned about what lies above it.
    const asked = missing.map((i) => (isRoot && names[i] === '..' ? '.' : names[i]!));
    let found: Array<LstatRecord | null> = [];
    try {
      found = await lstatBatch(realDir, asked);
    } catch {
      // The directory is gone: those entries are left out.
    }
    const base = records.length;
    const all = new Float64Array(base + missing.length * F);
    all.set(records);
    missing.forEach((i, k) => {
      const stats = found[k];
      const at = base + k * F;
      if (!stats) {
        all[at + LstatField.errno] = 1;
        return;
      }
      all[at + LstatField.mode] = stats.mode;
      all[at + LstatField.nlink] = stats.nlink;
      all[at + LstatField.uid] = stats.uid;
      all[at + LstatField.gid] = stats.gid;
      all[at + LstatField.size] = stats.size;
      all[at + LstatField.mtimeMs] = stats.mtimeMs;
      offsets[i] = at;
    });
    records = all;
  }
  const shown: string[] = [];
  const at = new Int32Array(names.length);
  const targets = new Map<number, string>();
  for (let i = 0; i < names.length; i++) {
    const offset = offsets[i]!;
    if (offset < 0 || records[offset + LstatField.errno] !== 0) continue;
    const index = shown.length;
    shown.push(names[i]!);
    at[index] = offset;
    if (isSymlinkMode(records[offset + LstatField.mode]!)) {
      try {
        targets.set(index, fs.readlinkSync(path.join(realDir, names[i]!)));
      } catch {
        // Replaced meanwhile: shown without its target.
      }
    }
  }
  return { names: shown, records, at: at.subarray(0, shown.length), targets };
}

/** The lstat of entry i of `stated`, as an object. */
export function statsAt(stated: StatedNames, i: number): EntryStats {
  const { records } = stated;
  const at = stated.at[i]!;
  return {
    mode: records[at + LstatField.mode]!, nlink: records[at + LstatField.nlink]!, uid: records[at + LstatField.uid]!,
    gid: records[at + LstatField.gid]!, size: records[at + LstatField.size]!, mtimeMs: records[at + LstatField.mtimeMs]!,
  };
}

/** The entries of `stated` as objects (for the few that need them: a recursive listing). */
export function statedEntries(stated: StatedNames): StatedEntry[] {
  return stated.names.map((name, i) => {
    const entry: StatedEntry = { name, stats: statsAt(stated, i) };
    const target = stated.targets.get(i);
    if (target !== undefined) entry.target = target;
    return entry;
  });
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
    return this.ofFacts(stats.mode, stats.uid, stats.gid);
  }

  /** {@link of} from the facts it looks at. */
  ofFacts(mode: number, uid: number, gid: number): string {
    const ids = this.#ids;
    // What access() looks at besides the mode.
    const relation = ids.uid === 0 ? 0 : uid === ids.uid ? 1 : ids.gids.has(gid) ? 2 : 3;
    const key = mode * 4 + relation;
    let fact = this.#facts.get(key);
    if (fact === undefined) {
      fact = permFact({ mode, uid, gid, nlink: 0, size: 0, mtimeMs: 0 }, this.#writable, ids);
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
