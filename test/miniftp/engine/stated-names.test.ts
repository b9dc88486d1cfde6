// statNames: a listing's entries with their lstat from the directory as read
// in one task, "." and ".." (the root's ".." shown as the root itself) looked
// up besides, and entries that vanished before their lstat left out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LSTAT_RECORD_LENGTH, LstatField } from '../../../src/index.js';
import { readDirectory, statNames, statsAt, statedEntries } from '../../../examples/miniftp/session/directory-listing.js';

function expected(file: string) {
  const st = fs.lstatSync(file);
  return { mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
}

describe('statNames', () => {
  // Inside a directory of its own, so that `..` does not change while other
  // test files make and remove directories in the temporary directory.
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'stated-names-'));
  const dir = path.join(top, 'dir');
  fs.mkdirSync(dir);
  afterAll(() => fs.rmSync(top, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a'), 'one');
  fs.writeFileSync(path.join(dir, 'b'), 'three');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync('a', path.join(dir, 'link'));

  it('gives each shown name its lstat, the link its target, "." and ".." too', async () => {
    const { names, read } = await readDirectory(dir, true, 100);
    expect(names).toEqual(['.', '..', 'a', 'b', 'link', 'sub']);
    const stated = await statNames(dir, names, false, read);
    expect(stated.names).toEqual(names);
    names.forEach((name, i) => expect(statsAt(stated, i), name).toEqual(expected(path.join(dir, name))));
    expect(statedEntries(stated).find((entry) => entry.name === 'link')).toMatchObject({ target: 'a' });
  });

  it('shows the root\'s ".." as the root itself', async () => {
    const { names, read } = await readDirectory(dir, true, 100);
    const stated = await statNames(dir, names, true, read);
    expect(statsAt(stated, stated.names.indexOf('..'))).toEqual(expected(dir));
  });

  it('a subset of the names (a pattern, hide_file), and no directory as read: the same facts', async () => {
    const { read } = await readDirectory(dir, false, 100);
    const fromRead = await statNames(dir, ['b', 'sub'], false, read);
    const looked = await statNames(dir, ['b', 'sub'], false, null);
    expect(fromRead.names).toEqual(['b', 'sub']);
    expect([statsAt(fromRead, 0), statsAt(fromRead, 1)]).toEqual([statsAt(looked, 0), statsAt(looked, 1)]);
  });

  it('leaves out a name that vanished between the read and its lstat, and one that is gone since', async () => {
    const { names, read } = await readDirectory(dir, false, 100);
    // As readdirStat gives a name removed after readdir: ENOENT in its record.
    read.records[names.indexOf('b') * LSTAT_RECORD_LENGTH + LstatField.errno] = os.constants.errno.ENOENT;
    expect((await statNames(dir, names, false, read)).names).toEqual(['a', 'link', 'sub']);
    expect((await statNames(dir, ['a', 'gone'], false, null)).names).toEqual(['a']);
    expect((await statNames(path.join(dir, 'gone'), ['a'], false, null)).names).toEqual([]);
  });
});
