// DirCache: directory listings of the FTP server as ftpfs last saw them,
// fresh for a configurable time, fetched once however many callers ask at
// the same moment, and edited in place after our own changes (mkdir,
// upload, rename, delete) so that they show without another listing.
import type { FileInfo } from '../ftp/index.js';
import { baseName, childPath, isInside, movedPath, parentPath } from './mount-path.js';

interface Listing {
  entries: Map<string, FileInfo>;
  fetchedAt: number;
}

/**
 * A listing on its way from the server. Our own changes made meanwhile may
 * or may not be in it (the server listed before or after them), so they are
 * applied to it on arrival; a change it cannot be brought up to date with
 * (a tree forgotten or moved) keeps it from being cached at all.
 */
interface Fetch {
  promise: Promise<Map<string, FileInfo>>;
  edits: Array<(entries: Map<string, FileInfo>) => void>;
  discard: boolean;
}

/** Fetches a directory's entries (paths are inside the mount). */
export type ListFn = (dir: string) => Promise<FileInfo[]>;

/** Adds entries a listing does not show yet (files created here, not uploaded). */
export type OverlayFn = (dir: string, entries: Map<string, FileInfo>) => void;

/** Listings by directory (paths inside the mount), each with the time it was fetched. */
export class DirCache {
  readonly #list: ListFn;
  readonly #overlay: OverlayFn;
  readonly #ttlMs: number;
  readonly #listings = new Map<string, Listing>();
  readonly #fetching = new Map<string, Fetch>();
  /** Listings fetched over the FTP connection, for statistics and tests. */
  fetches = 0;

  /**
   * @param ttlMs how long a listing stays fresh; 0: every use lists again
   *   (callers that ask at the same moment still share one listing)
   */
  constructor(list: ListFn, overlay: OverlayFn, ttlMs: number) {
    this.#list = list;
    this.#overlay = overlay;
    this.#ttlMs = ttlMs;
  }

  /**
   * The entries of `dir`, listed again when the listing is older than the
   * freshness time.
   * @throws whatever the list function throws
   */
  get(dir: string): Promise<Map<string, FileInfo>> {
    const listing = this.#listings.get(dir);
    if (listing && Date.now() - listing.fetchedAt < this.#ttlMs) return Promise.resolve(listing.entries);
    return this.#fetch(dir);
  }

  /** The entries of `dir` listed again now (after a 550, say). */
  refresh(dir: string): Promise<Map<string, FileInfo>> {
    this.#listings.delete(dir);
    return this.#fetch(dir);
  }

  #fetch(dir: string): Promise<Map<string, FileInfo>> {
    const inFlight = this.#fetching.get(dir);
    if (inFlight) return inFlight.promise;
    const startedAt = Date.now();
    const fetch: Fetch = { promise: null!, edits: [], discard: false };
    fetch.promise = this.#list(dir).then((infos) => {
      this.fetches++;
      const entries = new Map<string, FileInfo>();
      for (const info of infos) entries.set(info.name, info);
      this.#overlay(dir, entries);
      for (const edit of fetch.edits) edit(entries);
      if (!fetch.discard) this.#listings.set(dir, { entries, fetchedAt: startedAt });
      return entries;
    }).finally(() => {
      this.#fetching.delete(dir);
    });
    this.#fetching.set(dir, fetch);
    return fetch.promise;
  }

  /** Applies a change to the cached listing of `dir` and to one on its way. */
  #edit(dir: string, edit: (entries: Map<string, FileInfo>) => void): void {
    const listing = this.#listings.get(dir);
    if (listing) edit(listing.entries);
    this.#fetching.get(dir)?.edits.push(edit);
  }

  /** Records the listing of a directory we just made: empty, and fresh now. */
  seedEmpty(dir: string): void {
    this.#listings.set(dir, { entries: new Map(), fetchedAt: Date.now() });
  }

  /** An entry as last listed, without going to the server; undefined when not cached. */
  peek(dir: string, name: string): FileInfo | undefined {
    return this.#listings.get(dir)?.entries.get(name);
  }

  /** Records an entry we created or changed, in a listing that is cached. */
  put(dir: string, info: FileInfo): void {
    this.#edit(dir, (entries) => entries.set(info.name, info));
  }

  /** Removes an entry we deleted from a cached listing; forgets the listings below it. */
  remove(dir: string, name: string): void {
    this.#edit(dir, (entries) => entries.delete(name));
    this.invalidateTree(childPath(dir, name));
  }

  /** Forgets the listings of `path` and of everything below it. */
  invalidateTree(path: string): void {
    for (const dir of [...this.#listings.keys()]) if (isInside(dir, path)) this.#listings.delete(dir);
    for (const [dir, fetch] of this.#fetching) if (isInside(dir, path)) fetch.discard = true;
  }

  /** Moves an entry between cached listings, and the listings below it. */
  rename(fromPath: string, toPath: string): void {
    const [fromDir, fromName, toDir, toName] = [parentPath(fromPath), baseName(fromPath), parentPath(toPath), baseName(toPath)];
    const info = this.#listings.get(fromDir)?.entries.get(fromName);
    this.#edit(fromDir, (entries) => entries.delete(fromName));
    this.invalidateTree(toPath);
    if (info) {
      this.#edit(toDir, (entries) => entries.set(toName, { ...info, name: toName }));
    } else {
      // An entry we did not have: the next use lists the directory again.
      this.#listings.delete(toDir);
      const fetch = this.#fetching.get(toDir);
      if (fetch) fetch.discard = true;
    }
    for (const [dir, fetch] of this.#fetching) if (isInside(dir, fromPath)) fetch.discard = true;
    for (const [dir, listing] of [...this.#listings]) {
      if (!isInside(dir, fromPath)) continue;
      this.#listings.delete(dir);
      this.#listings.set(movedPath(dir, fromPath, toPath), listing);
    }
  }
}
