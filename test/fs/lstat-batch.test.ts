// lstatBatch: the native batch lstat against fs.lstatSync, missing and
// malformed names, and errors shaped like Node's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lstatBatch } from '../../src/index.js';

describe('lstatBatch', () => {
  // Inside a directory of its own, so that `..` does not change while other
  // test files make and remove directories in the temporary directory.
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'lstat-batch-'));
  const dir = path.join(top, 'dir');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'file'), 'twelve bytes');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync('nowhere', path.join(dir, 'link'));
  afterAll(() => fs.rmSync(top, { recursive: true, force: true }));

  it('gives what lstat gives, links not followed', async () => {
    const names = ['file', 'sub', 'link', '.', '..'];
    const records = await lstatBatch(dir, names);
    names.forEach((name, i) => {
      const st = fs.lstatSync(path.join(dir, name));
      expect(records[i], name).toEqual({ mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
    });
  });

  it('gives null for missing names and for anything but one path component', async () => {
    expect(await lstatBatch(dir, ['missing', 'sub/../file', '', 'a\0b', 'file'])).toMatchObject([null, null, null, null, { size: 12 }]);
    expect(await lstatBatch(dir, [])).toEqual([]);
  });

  it('many names at once, several batches in flight', async () => {
    const names = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 'file' : i % 3 === 1 ? 'sub' : 'gone'));
    const batches = await Promise.all([lstatBatch(dir, names), lstatBatch(dir, names.slice(1))]);
    expect(batches[0].filter((r) => r === null).length).toBe(1000);
    expect(batches[1][0]).toMatchObject({ nlink: 2 });
  });

  it('rejects like Node for a directory it cannot open, and checks its arguments', async () => {
    await expect(lstatBatch(path.join(dir, 'missing'), ['x'])).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open', errno: -2 });
    await expect(lstatBatch(path.join(dir, 'file'), ['x'])).rejects.toMatchObject({ code: 'ENOTDIR', syscall: 'open' });
    await expect(lstatBatch(7 as unknown as string, [])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(lstatBatch(dir, [1] as unknown as string[])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});
