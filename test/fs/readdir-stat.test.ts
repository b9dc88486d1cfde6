// readdirStat: the native one-task readdir and lstat against fs.readdirSync
// and fs.lstatSync, a directory that changes while it is read, its bound,
// and errors shaped like Node's.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LSTAT_RECORD_LENGTH, LstatField, readdirStat, type DirectoryStats } from '../../src/index.js';

function recordOf(read: DirectoryStats, name: string): number[] {
  const i = read.names.indexOf(name);
  expect(i, name).toBeGreaterThanOrEqual(0);
  return Array.from(read.records.subarray(i * LSTAT_RECORD_LENGTH, (i + 1) * LSTAT_RECORD_LENGTH));
}

function expected(file: string): number[] {
  const st = fs.lstatSync(file);
  return [0, st.mode, st.nlink, st.uid, st.gid, st.size, Math.floor(st.mtimeMs)];
}

describe('readdirStat', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readdir-stat-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives every name but "." and ".." in JavaScript order, each with what lstat gives, links not followed', async () => {
    const top = fs.mkdtempSync(path.join(dir, 'top-'));
    fs.writeFileSync(path.join(top, 'file'), 'twelve bytes');
    fs.mkdirSync(path.join(top, 'sub'));
    fs.symlinkSync('nowhere', path.join(top, 'link'));
    fs.writeFileSync(path.join(top, '.hidden'), '');
    fs.writeFileSync(path.join(top, '\u{1F600}'), '');
    fs.writeFileSync(path.join(top, '\uFB01'), '');
    const read = (await readdirStat(top))!;
    expect(read.names).toEqual(fs.readdirSync(top).sort());
    expect(read.records).toHaveLength(read.names.length * LSTAT_RECORD_LENGTH);
    // Sorted again in JavaScript (a character above U+FFFF): each record moved with its name.
    for (const name of read.names) expect(recordOf(read, name), name).toEqual(expected(path.join(top, name)));
    expect(recordOf(read, 'link')[LstatField.mode]! & 0o170000).toBe(0o120000);
    expect(recordOf(read, 'file')[LstatField.size]).toBe(12);
  });

  it('gives null past the bound, and every entry up to it', async () => {
    const many = fs.mkdtempSync(path.join(dir, 'many-'));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(many, `f${i}`), 'x'.repeat(i));
    expect(await readdirStat(many, 299)).toBeNull();
    const read = (await readdirStat(many, 300))!;
    expect(read.names).toHaveLength(300);
    for (const name of read.names) expect(recordOf(read, name)[LstatField.size]).toBe(Number(name.slice(1)));
    expect(await readdirStat(fs.mkdtempSync(path.join(dir, 'empty-')), 0)).toEqual({ names: [], records: new Float64Array(0) });
  });

  it('a big directory (looked up by a second thread while it is read): every record is its own name\'s, in order', async () => {
    const big = fs.mkdtempSync(path.join(dir, 'big-'));
    for (let i = 0; i < 5000; i++) fs.writeFileSync(path.join(big, `f${String(i).padStart(4, '0')}`), 'x'.repeat(i % 97));
    fs.mkdirSync(path.join(big, 'f4999-dir'));
    const read = (await readdirStat(big))!;
    expect(read.names).toHaveLength(5001);
    expect(read.names).toEqual(fs.readdirSync(big).sort());
    read.names.forEach((name, i) => {
      const record = read.records.subarray(i * LSTAT_RECORD_LENGTH, (i + 1) * LSTAT_RECORD_LENGTH);
      expect(record[LstatField.errno], name).toBe(0);
      if (name.endsWith('-dir')) expect(record[LstatField.mode]! & 0o170000).toBe(0o040000);
      else expect(record[LstatField.size], name).toBe(Number(name.slice(1)) % 97);
    });
    // Past the bound once the second thread has started, and at it.
    expect(await readdirStat(big, 3000)).toBeNull();
    expect(await readdirStat(big, 5000)).toBeNull();
    expect((await readdirStat(big, 5001))!.names).toEqual(read.names);
  });

  it('a directory that changes while it is read: every name comes once, sorted, found or with ENOENT', async () => {
    const busy = fs.mkdtempSync(path.join(dir, 'busy-'));
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(busy, `stays-${i}`), 'x');
    // Another process adds and removes names all the while (for at most 20 s).
    const churn = spawn('python3', ['-c', `
import os, time
end = time.time() + 20
i = 0
while time.time() < end:
    name = os.path.join(${JSON.stringify(busy)}, 'comes-and-goes-%d' % (i % 300))
    open(name, 'w').close()
    os.unlink(name)
    i += 1
`], { stdio: 'ignore' });
    try {
      for (let round = 0; round < 100; round++) {
        const read = (await readdirStat(busy))!;
        expect(new Set(read.names).size).toBe(read.names.length);
        expect([...read.names].sort()).toEqual(read.names);
        for (let i = 0; i < 200; i++) expect(recordOf(read, `stays-${i}`)[LstatField.errno]).toBe(0);
        // A name removed between readdir and lstat keeps its place, with ENOENT.
        read.names.forEach((name, i) => {
          expect([0, os.constants.errno.ENOENT], name).toContain(read.records[i * LSTAT_RECORD_LENGTH + LstatField.errno]);
        });
      }
    } finally {
      churn.kill();
    }
  });

  it('rejects like Node for a directory it cannot open, and checks its arguments', async () => {
    const missing = path.join(dir, 'missing');
    await expect(readdirStat(missing)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'opendir', errno: -2, path: missing });
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    await expect(readdirStat(file)).rejects.toMatchObject({ code: 'ENOTDIR', syscall: 'opendir', path: file });
    await expect(readdirStat(7 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(readdirStat(dir, '3' as unknown as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(readdirStat(dir, -1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(readdirStat(`${dir}\0x`)).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
