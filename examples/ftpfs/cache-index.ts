// The index of a cache directory: for each copy, the remote file it holds,
// what of it it holds, the server's version it was taken from and whether
// it holds changes not on the server yet. index.json holds every copy and is
// written at mount and unmount (and after a delete or rename of a file not
// uploaded yet); between them, the record of one copy whose upload state
// changed goes to journal/<copy>.json, so that a close costs one small
// write, whatever the number of copies. Every file is written whole to a
// temporary name, synced and renamed: a crash leaves the old record or the
// new one, never half of one. A journal record overrides index.json's.
import fs from 'node:fs';
import path from 'node:path';
import type { RemoteVersion } from './cached-file.js';

export const INDEX_FILE = 'index.json';
/** Records of single copies written since index.json. */
export const JOURNAL_DIR = 'journal';
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

interface JournalFile {
  format: number;
  file: IndexEntry;
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

function readRecord<T extends { format: number }>(file: string): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let data: T;
  try {
    data = JSON.parse(text) as T;
  } catch (err) {
    throw new UnreadableIndexError(`${path.basename(file)} is not JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || !Number.isInteger(data.format)) throw new UnreadableIndexError(`${path.basename(file)} has no format number`);
  if (data.format > INDEX_FORMAT) throw new UnreadableIndexError(`${path.basename(file)}'s format ${data.format} is newer than this ftpfs's (${INDEX_FORMAT})`);
  if (data.format !== INDEX_FORMAT) throw new UnreadableIndexError(`${path.basename(file)}'s format ${data.format} is not one this ftpfs reads`);
  return data;
}

/**
 * The copies `dir` holds, as its index and journal record them; none when
 * it has neither.
 * @throws UnreadableIndexError when a record is corrupt or of a later format
 */
export function loadIndex(dir: string): IndexEntry[] {
  const index = readRecord<IndexFile>(path.join(dir, INDEX_FILE));
  if (index && !Array.isArray(index.files)) throw new UnreadableIndexError(`${INDEX_FILE} lists no files`);
  const byLocal = new Map((index?.files ?? []).map((entry, i) => [checkEntry(entry, i).local, entry]));
  let journal: string[] = [];
  try {
    journal = fs.readdirSync(path.join(dir, JOURNAL_DIR)).filter((name) => name.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of journal) {
    const record = readRecord<JournalFile>(path.join(dir, JOURNAL_DIR, name));
    if (!record) continue;
    const entry = checkEntry(record.file, 0);
    if (name !== `${entry.local}.json`) throw new UnreadableIndexError(`${JOURNAL_DIR}/${name} records another copy (${entry.local})`);
    byLocal.set(entry.local, entry);
  }
  return [...byLocal.values()];
}

async function writeWhole(file: string, text: string, sync: boolean): Promise<void> {
  const handle = await fs.promises.open(file, 'w', 0o600);
  try {
    await handle.writeFile(text);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `text` to `target` whole (a temporary file renamed); with `sync`,
 * it is on disk when this resolves (fsync of the file, then of the directory).
 */
async function replaceWhole(target: string, text: string, sync = true): Promise<void> {
  const temp = `${target}.${process.pid}.tmp`;
  await writeWhole(temp, text, sync);
  await fs.promises.rename(temp, target);
  if (sync) await syncDir(path.dirname(target));
}

/** Writes `dir`'s index.json (the journal is left as it is). */
export async function saveIndex(dir: string, files: IndexEntry[]): Promise<void> {
  await replaceWhole(path.join(dir, INDEX_FILE), `${JSON.stringify({ format: INDEX_FORMAT, files } satisfies IndexFile)}\n`);
}

/**
 * Writes a cache directory's records. save() writes index.json, built at
 * the time of writing, one at a time (a save asked for while one runs is
 * done once after it, for everyone who asked), then removes the journal
 * records it holds; record() writes one copy's record to the journal.
 */
export class IndexWriter {
  readonly #dir: string;
  readonly #journal: string;
  readonly #snapshot: () => IndexEntry[];
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  /** Journal writes, counted; per copy the count of its last one, and the write under way. */
  #recorded = 0;
  readonly #journaled = new Map<string, { seq: number; writing: Promise<void> }>();

  constructor(dir: string, snapshot: () => IndexEntry[]) {
    this.#dir = dir;
    this.#journal = path.join(dir, JOURNAL_DIR);
    this.#snapshot = snapshot;
    // Records an earlier mount left: the first save() takes them into index.json.
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.#journal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      if (name.endsWith('.json')) this.#journaled.set(name.slice(0, -'.json'.length), { seq: 0, writing: Promise.resolve() });
      else fs.rmSync(path.join(this.#journal, name), { force: true });
    }
  }

  /** Resolves once an index.json written after this call is on disk. */
  save(): Promise<void> {
    if (this.#next) return this.#next;
    const before = this.#running ?? Promise.resolve();
    const next = before.catch(() => {}).then(() => {
      this.#next = null;
      const running = this.#saveNow();
      this.#running = running;
      return running.finally(() => {
        if (this.#running === running) this.#running = null;
      });
    });
    this.#next = next;
    return next;
  }

  async #saveNow(): Promise<void> {
    const upTo = this.#recorded;
    await saveIndex(this.#dir, this.#snapshot());
    // Journal records written before the snapshot are in index.json now.
    let removed = false;
    for (const [local, journaled] of this.#journaled) {
      if (journaled.seq > upTo) continue;
      await journaled.writing.catch(() => {});
      if (this.#journaled.get(local) !== journaled) continue;
      this.#journaled.delete(local);
      // At once, before a new record of this copy can start to write.
      fs.rmSync(path.join(this.#journal, `${local}.json`), { force: true });
      removed = true;
    }
    if (removed) await syncDir(this.#journal);
  }

  /**
   * Writes `entry` to the journal; records of one copy are written in
   * order. With `sync` (the default) it is on disk when this resolves;
   * without, a crash may leave the copy's previous record (for a record
   * whose loss costs only a repeated upload).
   */
  record(entry: IndexEntry, sync = true): Promise<void> {
    const seq = ++this.#recorded;
    const before = this.#journaled.get(entry.local)?.writing ?? Promise.resolve();
    const text = `${JSON.stringify({ format: INDEX_FORMAT, file: entry } satisfies JournalFile)}\n`;
    const writing = before.catch(() => {}).then(async () => {
      await fs.promises.mkdir(this.#journal, { recursive: true, mode: 0o700 });
      await replaceWhole(path.join(this.#journal, `${entry.local}.json`), text, sync);
    });
    this.#journaled.set(entry.local, { seq, writing });
    return writing;
  }
}
