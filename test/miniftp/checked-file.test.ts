// The master's stat-checked system files (/etc/shells, /etc/ftpusers): read
// again when changed, by rename or in place, also within one tick of the
// kernel's file clock; read once while unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CheckedFile } from '../../examples/miniftp/master/checked-file.js';
import { scratchDir } from '../helpers/scratch.js';

const scratch = scratchDir('miniftp-checked-file-');
afterAll(() => scratch.remove());

// A CheckedFile of `name` in the scratch dir that counts its reads.
function counted(name: string, quietMs?: number): { file: CheckedFile<string | null>; reads: () => number; path: string } {
  const file = path.join(scratch.path, name);
  let reads = 0;
  const checked = new CheckedFile(file, (text) => {
    reads++;
    return text;
  }, quietMs);
  return { file: checked, reads: () => reads, path: file };
}

describe('CheckedFile', () => {
  test('an unchanged file is read once; a changed one, replaced or rewritten, again', async () => {
    const { file, reads, path: file_ } = counted('kept', 0);
    fs.writeFileSync(file_, 'one\n');
    expect(await file.value()).toBe('one\n');
    expect(await file.value()).toBe('one\n');
    expect(reads()).toBe(1);
    fs.writeFileSync(`${file_}.new`, 'two two\n');
    fs.renameSync(`${file_}.new`, file_);
    expect(await file.value()).toBe('two two\n');
    fs.appendFileSync(file_, 'three\n');
    expect(await file.value()).toBe('two two\nthree\n');
    expect(reads()).toBe(3);
  });

  test('a rewrite in place of the same size right after a read is seen', async () => {
    const { file, path: file_ } = counted('racy');
    for (let i = 0; i < 20; i++) {
      const text = `${String.fromCharCode(97 + i)}\n`;
      fs.writeFileSync(file_, text);
      expect(await file.value()).toBe(text);
    }
  });

  test('a missing file reads as null until it is made', async () => {
    const { file, path: file_ } = counted('missing', 0);
    expect(await file.value()).toBeNull();
    fs.writeFileSync(file_, 'here\n');
    expect(await file.value()).toBe('here\n');
    fs.rmSync(file_);
    expect(await file.value()).toBeNull();
  });
});
