// readNames: a listing's names in `ls`'s C-locale order, "." and ".." where
// that order puts them, dotfiles only when asked, and the bound.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TooManyEntriesError, readNames } from '../../../examples/miniftp/session/directory-listing.js';

describe('readNames', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'directory-names-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const name of ['b', '.a', '.-', '-x', '+', 'A']) fs.writeFileSync(path.join(dir, name), '');

  it('sorts as ls -a does in the C locale: "." and ".." among the others', async () => {
    expect(await readNames(dir, true, 100)).toEqual(['+', '-x', '.', '.-', '..', '.a', 'A', 'b']);
    expect(await readNames(dir, true, 100)).toEqual(['.', '..', ...fs.readdirSync(dir)].sort());
  });

  it('leaves dotfiles out unless asked', async () => {
    expect(await readNames(dir, false, 100)).toEqual(['+', '-x', 'A', 'b']);
  });

  it('refuses a directory with more entries than the bound, dotfiles counted', async () => {
    await expect(readNames(dir, false, 5)).rejects.toBeInstanceOf(TooManyEntriesError);
    expect(await readNames(dir, false, 6)).toHaveLength(4);
    await expect(readNames(path.join(dir, 'missing'), false, 5)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
