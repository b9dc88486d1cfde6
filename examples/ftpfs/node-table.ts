// NodeTable: the node ids ftpfs gives the kernel, and the paths (inside the
// mount) they stand for. FTP has no inode numbers, so a path gets an id when
// the kernel first sees it and keeps it until the kernel forgets it.
import { isInside, movedPath } from './mount-path.js';

export const ROOT_ID = 1;

/** Node id <-> path, both ways; the root is always ROOT_ID and '/'. */
export class NodeTable {
  readonly #paths = new Map<number, string>();
  readonly #ids = new Map<string, number>();
  #next = ROOT_ID + 1;

  constructor() {
    this.#paths.set(ROOT_ID, '/');
    this.#ids.set('/', ROOT_ID);
  }

  /** Nodes the kernel may refer to (the root included). */
  get size(): number {
    return this.#paths.size;
  }

  /** The id of a path, given now if it has none. */
  idOf(path: string): number {
    let id = this.#ids.get(path);
    if (id === undefined) {
      id = this.#next++;
      this.#ids.set(path, id);
      this.#paths.set(id, path);
    }
    return id;
  }

  /** The path of an id, or undefined for an id the kernel has forgotten (or never had). */
  pathOf(id: number): string | undefined {
    return this.#paths.get(id);
  }

  /** The kernel holds no more references to `id`. */
  forget(id: number): void {
    if (id === ROOT_ID) return;
    const path = this.#paths.get(id);
    this.#paths.delete(id);
    if (path !== undefined && this.#ids.get(path) === id) this.#ids.delete(path);
  }

  /**
   * The name is gone (unlink, rmdir, replaced by a rename): a later lookup
   * of the path gets a new id, while the old id keeps its path for the
   * kernel's remaining references (an open file).
   */
  detach(path: string): void {
    this.#ids.delete(path);
  }

  /** `from` and everything below it now live at `to`; whatever was at `to` is detached. */
  rename(from: string, to: string): void {
    for (const path of [...this.#ids.keys()]) if (isInside(path, to)) this.#ids.delete(path);
    for (const [id, path] of this.#paths) {
      if (!isInside(path, from)) continue;
      const moved = movedPath(path, from, to);
      if (this.#ids.get(path) === id) this.#ids.delete(path);
      this.#paths.set(id, moved);
      this.#ids.set(moved, id);
    }
  }
}
