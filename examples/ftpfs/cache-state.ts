// The copies of a cache directory as index entries and back: what a mount
// saves of each copy (content through CachedFile.heldRanges() and restore()
// only) and what the next mount makes of it.
import fs from 'node:fs';
import path from 'node:path';
import { CachedFile } from './cached-file.js';
import { isLockFile } from './cache-dir.js';
import { INDEX_FILE, JOURNAL_DIR, type IndexEntry } from './cache-index.js';
import type { UploadFailure } from './upload-queue.js';

/** The index entry of one copy. */
export function indexEntry(file: CachedFile, failed: UploadFailure | undefined): IndexEntry {
  return {
    remote: file.remote,
    local: path.basename(file.local),
    size: file.size,
    ranges: file.heldRanges(),
    version: file.version && { ...file.version },
    // A file being uploaded is not on the server until the upload ends.
    dirty: file.dirty || file.uploading !== null,
    onServer: file.onServer,
    mtimeMs: file.mtimeMs,
    pendingMode: file.pendingMode,
    pendingMtimeMs: file.pendingMtimeMs,
    lastError: failed?.error ?? null,
    nextRetryAt: failed?.nextAt ?? null,
  };
}

/** The index entries of `files`: those with content or changes, deleted ones left out. */
export function indexEntries(files: Iterable<CachedFile>, failure: (file: CachedFile) => UploadFailure | undefined): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (const file of files) {
    if (file.unlinked) continue;
    const entry = indexEntry(file, failure(file));
    // A copy that holds nothing of a file on the server is worth nothing to the next mount.
    if (entry.ranges.length === 0 && entry.size > 0 && !entry.dirty && entry.onServer) continue;
    entries.push(entry);
  }
  return entries;
}

/** Ranges cut to what the copy's file holds on disk (a copy may end short after a crash). */
function clip(ranges: Array<[number, number]>, bytes: number): Array<[number, number]> {
  return ranges.flatMap(([start, end]): Array<[number, number]> => (start < bytes ? [[start, Math.min(end, bytes)]] : []));
}

/**
 * The copies `entries` record, in `dir`. A copy whose file is gone is left
 * out (and reported when it held changes).
 */
export function restoreCopies(dir: string, entries: IndexEntry[], report: (message: string) => void): CachedFile[] {
  const files: CachedFile[] = [];
  for (const entry of entries) {
    const local = path.join(dir, entry.local);
    let bytes: number;
    try {
      bytes = fs.statSync(local).size;
    } catch {
      if (entry.dirty) report(`the copy of ${entry.remote} with changes not on the server (${local}) is missing: it cannot be uploaded`);
      continue;
    }
    const file = new CachedFile(entry.remote, local, entry.onServer);
    if (entry.dirty && bytes < entry.size) report(`the copy of ${entry.remote} (${local}) holds ${bytes} of its ${entry.size} bytes: the rest is lost`);
    file.restore(entry.dirty ? Math.min(entry.size, bytes) : entry.size, clip(entry.ranges, bytes));
    file.version = entry.version && { ...entry.version };
    file.dirty = entry.dirty;
    file.mtimeMs = entry.mtimeMs;
    file.pendingMode = entry.pendingMode;
    file.pendingMtimeMs = entry.pendingMtimeMs;
    files.push(file);
  }
  return files;
}

/** Removes files of `dir` no entry names: copies an ended mount had not recorded yet, temporary index files. */
export function removeStrayFiles(dir: string, entries: IndexEntry[]): void {
  const known = new Set(entries.map((entry) => entry.local));
  for (const name of fs.readdirSync(dir)) {
    if (name === INDEX_FILE || name === JOURNAL_DIR || isLockFile(name) || known.has(name)) continue;
    fs.rmSync(path.join(dir, name), { force: true, recursive: true });
  }
}
