// readdirNames: the native one-task readdir against fs.readdirSync and
// JavaScript's sort, its bound, and errors shaped like Node's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readdirNames } from '../../src/index.js';

describe('readdirNames', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readdir-names-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives every name but "." and "..", sorted as JavaScript sorts them', async () => {
    const made = ['b', 'a', '.hidden', '-dash', 'Z', 'é', '\u{1F600}', '\uFB01', 'file 10', 'file 9'];
    for (const name of made) fs.writeFileSync(path.join(dir, name), '');
    fs.mkdirSync(path.join(dir, 'sub'));
    // A character above U+FFFF sorts before U+FB01 by code unit, after it by byte.
    expect(await readdirNames(dir)).toEqual([...made, 'sub'].sort());
    expect(await readdirNames(dir)).toEqual(fs.readdirSync(dir).sort());
  });

  it('a name that is not UTF-8 comes as Node decodes it, in JavaScript order', async () => {
    const odd = fs.mkdtempSync(path.join(dir, 'odd-'));
    fs.writeFileSync(Buffer.from(`${odd}/x\xff`, 'latin1'), '');
    fs.writeFileSync(path.join(odd, 'y'), '');
    fs.writeFileSync(path.join(odd, '\uFFFE'), '');
    expect(await readdirNames(odd)).toEqual(fs.readdirSync(odd).sort());
  });

  it('gives null past the bound, and the names up to it', async () => {
    const many = fs.mkdtempSync(path.join(dir, 'many-'));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(many, `f${i}`), '');
    expect(await readdirNames(many, 299)).toBeNull();
    expect(await readdirNames(many, 300)).toHaveLength(300);
    expect(await readdirNames(fs.mkdtempSync(path.join(dir, 'empty-')), 0)).toEqual([]);
  });

  it('rejects like Node for a directory it cannot open, and checks its arguments', async () => {
    const missing = path.join(dir, 'missing');
    await expect(readdirNames(missing)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'opendir', errno: -2, path: missing });
    await expect(readdirNames(path.join(dir, 'b'))).rejects.toMatchObject({ code: 'ENOTDIR', syscall: 'opendir' });
    await expect(readdirNames(7 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(readdirNames(dir, '3' as unknown as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(readdirNames(dir, -1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(readdirNames(`${dir}\0x`)).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
