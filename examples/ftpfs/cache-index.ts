// The index of a cache directory: for each copy, the remote file it holds,
// what of it it holds, the server's version it was taken from and whether
// it holds changes not on the server yet. Written whole to a temporary
// file, synced and renamed over the old one: a crash leaves the old index
// or the new one, never half of one.
import fs from 'node:fs';
import path from 'node:path';
import type { RemoteVersion } from './cached-file.js';

export const INDEX_FILE = 'index.json';
/** The format this ftpfs writes; an index of a later one is left alone. */
export const INDEX_FORMAT = 1;

/** One copy as the index records it. */
export interface IndexEntry {
  /** The file on the server. */
  remote: string;
  /** The copy's name in the cache directory. */
  local: string;
  size: number;
  /** Byte ranges the copy holds (CachedFile.heldRanges()). */
  ranges: Array<[number, number]>;
  /** The server's version the copy was taken from (null: created here). */
  version: RemoteVersion | null;
  dirty: boolean;
  onServer: boolean;
  /** The copy's modification time, shown while it has changes. */
  mtimeMs: number;
  pendingMode: number | null;
  pendingMtimeMs: number | null;
  /** Why the last upload failed, while the file is still not on the server. */
  lastError: string | null;
  /** When the next upload is tried (ms since the epoch). */
  nextRetryAt: number | null;
}

interface IndexFile {
  format: number;
  files: IndexEntry[];
}

/** The index cannot be used: its copies are left as they are. */
export class UnreadableIndexError extends Error {
  readonly code = 'ERR_FTPFS_CACHE_INDEX';
}

const isRanges = (value: unknown): value is Array<[number, number]> => Array.isArray(value)
  && value.every((r) => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isSafeInteger(n) && n >= 0) && r[0] < r[1]);
const isVersion = (value: unknown): value is RemoteVersion | null => value === null
  || (typeof value === 'object' && Number.isSafeInteger((value as RemoteVersion).size)
    && ((value as RemoteVersion).mtimeMs === null || typeof (value as RemoteVersion).mtimeMs === 'number'));
const numberOrNull = (value: unknown): boolean => value === null || typeof value === 'number';

function checkEntry(entry: unknown, at: number): IndexEntry {
  const e = entry as Partial<IndexEntry>;
  const ok = typeof e === 'object' && e !== null && typeof e.remote === 'string' && e.remote.startsWith('/')
    && typeof e.local === 'string' && /^\d+$/.test(e.local) && Number.isSafeInteger(e.size) && e.size! >= 0
    && isRanges(e.ranges) && isVersion(e.version) && typeof e.dirty === 'boolean' && typeof e.onServer === 'boolean'
    && typeof e.mtimeMs === 'number' && numberOrNull(e.pendingMode) && numberOrNull(e.pendingMtimeMs)
    && (e.lastError === null || typeof e.lastError === 'string') && numberOrNull(e.nextRetryAt);
  if (!ok) throw new UnreadableIndexError(`entry ${at} is not a copy's record`);
  return e as IndexEntry;
}

/**
 * The copies `dir` holds, as its index records them; none when it has no index.
 * @throws UnreadableIndexError when the index is corrupt or of a later format
 */
export function loadIndex(dir: string): IndexEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, INDEX_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let data: IndexFile;
  try {
    data = JSON.parse(text) as IndexFile;
  } catch (err) {
    throw new UnreadableIndexError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || !Number.isInteger(data.format)) throw new UnreadableIndexError('no format number');
  if (data.format > INDEX_FORMAT) throw new UnreadableIndexError(`format ${data.format} is newer than this ftpfs's (${INDEX_FORMAT})`);
  if (data.format !== INDEX_FORMAT || !Array.isArray(data.files)) throw new UnreadableIndexError(`format ${data.format} is not one this ftpfs reads`);
  return data.files.map(checkEntry);
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await fs.promises.open(file, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `dir`'s index; when it resolves, the index is on disk (temp, fsync, rename, fsync of the directory). */
export async function saveIndex(dir: string, files: IndexEntry[]): Promise<void> {
  const target = path.join(dir, INDEX_FILE);
  const temp = `${target}.${process.pid}.tmp`;
  await writeSynced(temp, `${JSON.stringify({ format: INDEX_FORMAT, files } satisfies IndexFile)}\n`);
  await fs.promises.rename(temp, target);
  const dirHandle = await fs.promises.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * Saves an index built at the time of writing, one write at a time: a save
 * asked for while one runs is done once after it, for everyone who asked.
 */
export class IndexWriter {
  readonly #dir: string;
  readonly #snapshot: () => IndexEntry[];
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  constructor(dir: string, snapshot: () => IndexEntry[]) {
    this.#dir = dir;
    this.#snapshot = snapshot;
  }

  /** Resolves once an index written after this call is on disk. */
  save(): Promise<void> {
    if (this.#next) return this.#next;
    const before = this.#running ?? Promise.resolve();
    const next = before.catch(() => {}).then(() => {
      this.#next = null;
      const running = saveIndex(this.#dir, this.#snapshot());
      this.#running = running;
      return running.finally(() => {
        if (this.#running === running) this.#running = null;
      });
    });
    this.#next = next;
    return next;
  }
}
