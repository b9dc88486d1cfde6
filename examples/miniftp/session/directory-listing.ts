// Reading what a listing shows: a directory's names (sorted, dotfiles only
// when asked), their lstat in batches (synchronous calls, a few hundred per
// turn of the event loop, so 10,000 files take milliseconds and no other
// session waits long), and the MLSx permission facts. Runs in a worker.
import fs from 'node:fs';
import path from 'node:path';
import type { ListEntry, MlsxEntry } from '../../ftp/index.js';
import { isDirectoryMode, isFileMode, mlsxTypeOfMode } from '../../ftp/index.js';

/** One listed name with its lstat (and link target). */
export interface StatedEntry {
  name: string;
  stats: fs.Stats;
  target?: string;
}

// lstat calls per turn of the event loop.
const BATCH = 256;

/**
 * The names in a real directory, sorted by code unit as `ls` sorts in the C
 * locale; dotfiles only with `all` (then "." and ".." too, as `ls -a`).
 * @throws the readdir errors (ENOENT, ENOTDIR, EACCES)
 */
export async function readNames(realDir: string, all: boolean): Promise<string[]> {
  const names = await fs.promises.readdir(realDir);
  const shown = all ? ['.', '..', ...names] : names.filter((name) => !name.startsWith('.'));
  return shown.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * lstat of each name in `realDir`, in batches, in the order given; names
 * that vanished meanwhile are left out. `..` of the root directory shows the
 * root itself, so nothing is learned about what lies above it.
 */
export async function* statEntries(realDir: string, names: readonly string[], isRoot: boolean): AsyncGenerator<StatedEntry[]> {
  for (let i = 0; i < names.length; i += BATCH) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    const batch: StatedEntry[] = [];
    for (const name of names.slice(i, i + BATCH)) {
      const full = name === '..' && isRoot ? realDir : path.join(realDir, name);
      const stats = fs.lstatSync(full, { throwIfNoEntry: false });
      if (!stats) continue;
      const entry: StatedEntry = { name, stats };
      if (stats.isSymbolicLink()) {
        try {
          entry.target = fs.readlinkSync(full);
        } catch {
          // Replaced meanwhile: shown without its target.
        }
      }
      batch.push(entry);
    }
    yield batch;
  }
}

/** The LIST facts of an entry. */
export function listEntry(entry: StatedEntry, names: { user(uid: number): string | undefined; group(gid: number): string | undefined } | null): ListEntry {
  const { stats } = entry;
  return {
    name: entry.name,
    mode: stats.mode,
    nlink: stats.nlink,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    mtime: stats.mtime,
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
function access(stats: fs.Stats, ids: ProcessIds): { r: boolean; w: boolean; x: boolean } {
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
export function permFact(stats: fs.Stats, writable: boolean, ids: ProcessIds): string {
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

/** The MLSx facts of an entry. */
export function mlsxEntry(name: string, stats: fs.Stats, writable: boolean, ids: ProcessIds): MlsxEntry {
  return {
    name,
    type: mlsxTypeOfMode(stats.mode),
    size: isFileMode(stats.mode) || isDirectoryMode(stats.mode) ? stats.size : undefined,
    mtime: stats.mtime,
    perm: permFact(stats, writable, ids),
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
  };
}
