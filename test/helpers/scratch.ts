// A temporary directory that exists only once a test uses it, so that a
// suite that skips leaves nothing in the temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ScratchDir {
  /** The directory, made on first use. */
  readonly path: string;
  /** Removes it with everything in it, if it was made. */
  remove(): void;
}

export function scratchDir(prefix: string): ScratchDir {
  let dir: string | null = null;
  return {
    get path() {
      dir ??= fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      return dir;
    },
    remove() {
      if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
      dir = null;
    },
  };
}
