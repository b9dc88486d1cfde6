import { describe, expect, test } from 'vitest';
import {
  ListFormatter,
  MLSX_FACTS,
  MlsxFormatter,
  formatList,
  formatListLine,
  formatMlsxLine,
  formatNameList,
  listDate,
  mlstFeature,
  mlsxTypeOfMode,
  parseMlstOptions,
  permissionString,
  type ListEntry,
  type MlsxEntry,
} from '../../examples/ftp/index.js';

const now = new Date(Date.UTC(2024, 5, 15, 12, 0, 0));
const DAY = 86_400_000;

describe('permissionString', () => {
  test.each([
    [0o100644, '-rw-r--r--'],
    [0o040755, 'drwxr-xr-x'],
    [0o120777, 'lrwxrwxrwx'],
    [0o010600, 'prw-------'],
    [0o140755, 'srwxr-xr-x'],
    [0o020666, 'crw-rw-rw-'],
    [0o060660, 'brw-rw----'],
    [0o104755, '-rwsr-xr-x'],
    [0o104644, '-rwSr--r--'],
    [0o102755, '-rwxr-sr-x'],
    [0o102745, '-rwxr-Sr-x'],
    [0o041777, 'drwxrwxrwt'],
    [0o041770, 'drwxrwx--T'],
    [0o107777, '-rwsrwsrwt'],
    [0o100000, '----------'],
    [0o000644, '?rw-r--r--'],
  ])('%o is %s', (mode, expected) => {
    expect(permissionString(mode)).toBe(expected);
  });
});

describe('listDate, as vsftpd', () => {
  test('recent times show HH:MM, with a zero-padded day', () => {
    expect(listDate(new Date(Date.UTC(2024, 5, 5, 9, 7)), now)).toBe('Jun 05 09:07');
    expect(listDate(now, now)).toBe('Jun 15 12:00');
  });

  test('182 days back is still recent; a second more shows the year', () => {
    expect(listDate(new Date(now.getTime() - 182 * DAY), now)).toBe('Dec 16 12:00');
    expect(listDate(new Date(now.getTime() - 182 * DAY - 1000), now)).toBe('Dec 16  2023');
  });

  test('a time in the future shows the year', () => {
    expect(listDate(new Date(now.getTime() + 1000), now)).toBe('Jun 15  2024');
    expect(listDate(new Date(Date.UTC(2031, 0, 2)), now)).toBe('Jan 02  2031');
  });

  test('in local time when asked', () => {
    const t = new Date(now.getTime() - 3 * DAY);
    const two = (n: number) => String(n).padStart(2, '0');
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    expect(listDate(t, now, 'local')).toBe(`${months[t.getMonth()]} ${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}`);
  });
});

describe('formatListLine, as vsftpd ls.c', () => {
  const file: ListEntry = {
    name: 'readme.txt', mode: 0o100644, nlink: 1, uid: 1000, gid: 100, size: 1234,
    mtime: new Date(Date.UTC(2024, 5, 1, 8, 30)), ownerName: 'anna', groupName: 'users',
  };

  test('numeric ids by default', () => {
    expect(formatListLine(file, { now })).toBe('-rw-r--r--    1 1000     100          1234 Jun 01 08:30 readme.txt');
  });

  test('names, and numbers where no name was found', () => {
    expect(formatListLine(file, { now, ids: 'names' })).toBe('-rw-r--r--    1 anna     users        1234 Jun 01 08:30 readme.txt');
    expect(formatListLine({ ...file, ownerName: undefined }, { now, ids: 'names' })).toBe('-rw-r--r--    1 1000     users        1234 Jun 01 08:30 readme.txt');
  });

  test('hide_ids shows ftp for both', () => {
    expect(formatListLine(file, { now, ids: 'hidden' })).toBe('-rw-r--r--    1 ftp      ftp          1234 Jun 01 08:30 readme.txt');
  });

  test('a directory, an old file with its year, a big file, a long name', () => {
    expect(formatListLine({ ...file, name: 'pub', mode: 0o040755, nlink: 12, size: 4096 }, { now }))
      .toBe('drwxr-xr-x   12 1000     100          4096 Jun 01 08:30 pub');
    expect(formatListLine({ ...file, mtime: new Date(Date.UTC(2019, 11, 31, 23, 59)) }, { now }))
      .toBe('-rw-r--r--    1 1000     100          1234 Dec 31  2019 readme.txt');
    expect(formatListLine({ ...file, size: 1_099_511_627_776, nlink: 12345, uid: 123456789 }, { now }))
      .toBe('-rw-r--r-- 12345 123456789 100      1099511627776 Jun 01 08:30 readme.txt');
    expect(formatListLine({ ...file, name: 'name with  spaces ' }, { now }).endsWith(' 08:30 name with  spaces ')).toBe(true);
  });

  test('a symbolic link shows its target', () => {
    expect(formatListLine({ ...file, name: 'latest', mode: 0o120777, size: 10, target: 'release-1.0' }, { now }))
      .toBe('lrwxrwxrwx    1 1000     100            10 Jun 01 08:30 latest -> release-1.0');
    // The target is shown only for links.
    expect(formatListLine({ ...file, target: 'ignored' }, { now }).endsWith('readme.txt')).toBe(true);
  });

  test('formatList ends every line with CRLF', () => {
    expect(formatList([file, { ...file, name: 'b' }], { now })).toBe(
      '-rw-r--r--    1 1000     100          1234 Jun 01 08:30 readme.txt\r\n-rw-r--r--    1 1000     100          1234 Jun 01 08:30 b\r\n',
    );
    expect(formatList([], { now })).toBe('');
  });
});

describe('ListFormatter', () => {
  test('lays out exactly what formatListLine does, for every id display and repeated values', () => {
    const entries: ListEntry[] = [];
    for (let i = 0; i < 300; i++) {
      entries.push({
        name: `f${i}`,
        mode: [0o100644, 0o040755, 0o120777, 0o104755, 0o010600][i % 5]!,
        nlink: 1 + (i % 3),
        uid: 1000 + (i % 4),
        gid: 100 + (i % 2),
        size: i * 1000,
        mtime: new Date(now.getTime() - (i % 7) * 100 * DAY - (i % 3) * 1000),
        ownerName: i % 4 === 0 ? undefined : `user${i % 4}`,
        groupName: `group${i % 2}`,
        target: i % 5 === 2 ? `target${i}` : undefined,
      });
    }
    for (const ids of ['numeric', 'names', 'hidden'] as const) {
      const formatter = new ListFormatter({ now, ids });
      for (const entry of entries) expect(formatter.format(entry)).toBe(formatListLine(entry, { now, ids }));
    }
  });
});

describe('formatNameList (NLST)', () => {
  test('names, or names under the directory asked for', () => {
    expect(formatNameList(['a', 'b c'])).toBe('a\r\nb c\r\n');
    expect(formatNameList(['a'], 'pub')).toBe('pub/a\r\n');
    expect(formatNameList(['a'], 'pub/')).toBe('pub/a\r\n');
    expect(formatNameList(['a'], '.')).toBe('a\r\n');
    expect(formatNameList([])).toBe('');
  });
});

describe('MLSx facts (RFC 3659)', () => {
  test('a file with every fact', () => {
    expect(formatMlsxLine({
      name: 'readme.txt', type: 'file', size: 1234, mtime: new Date(Date.UTC(2024, 5, 1, 8, 30, 15)),
      perm: 'adfrw', mode: 0o644, uid: 1000, gid: 100,
    })).toBe('type=file;size=1234;modify=20240601083015;perm=adfrw;unix.mode=0644;unix.uid=1000;unix.gid=100; readme.txt');
  });

  test('cdir, a setuid mode, missing facts left out, a name with spaces and ;', () => {
    expect(formatMlsxLine({ name: '/pub', type: 'cdir', perm: 'flcdmpe' })).toBe('type=cdir;perm=flcdmpe; /pub');
    expect(formatMlsxLine({ name: 'x', mode: 0o4755 })).toBe('unix.mode=04755; x');
    expect(formatMlsxLine({ name: ' a; b=c ' , type: 'file' })).toBe('type=file;  a; b=c ');
    expect(formatMlsxLine({ name: 'bare' })).toBe(' bare');
  });

  test('only the selected facts', () => {
    const entry = { name: 'f', type: 'file' as const, size: 1, perm: 'r', mode: 0o600 };
    expect(formatMlsxLine(entry, ['size', 'type'])).toBe('type=file;size=1; f');
    expect(formatMlsxLine(entry, [])).toBe(' f');
  });

  test('refuses perm letters RFC 3659 does not define', () => {
    expect(() => formatMlsxLine({ name: 'f', perm: 'rwx' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => formatMlsxLine({ name: 'f', perm: 'r; x' })).toThrow(TypeError);
  });

  test('type from st_mode', () => {
    expect(mlsxTypeOfMode(0o100644)).toBe('file');
    expect(mlsxTypeOfMode(0o040755)).toBe('dir');
    expect(mlsxTypeOfMode(0o120777)).toBe('OS.unix=symlink');
    expect(mlsxTypeOfMode(0o020666)).toBe('OS.unix=special');
  });

  test('the FEAT line and OPTS MLST', () => {
    expect(mlstFeature()).toBe('type*;size*;modify*;perm*;unix.mode*;unix.uid*;unix.gid*;unix.ownername*;unix.groupname*;');
    expect(mlstFeature(['size', 'type'])).toBe('type*;size*;modify;perm;unix.mode;unix.uid;unix.gid;unix.ownername;unix.groupname;');
    expect(parseMlstOptions('Size;TYPE;unknown.fact;')).toEqual(['type', 'size']);
    expect(parseMlstOptions('')).toEqual([]);
    expect(parseMlstOptions(MLSX_FACTS.join(';'))).toEqual([...MLSX_FACTS]);
  });
});

describe('formatters on runs of alike entries', () => {
  // Each entry differs from the one before in one fact (or none): what a
  // formatter remembers of the line before must not leak into the next.
  const changes: Array<(e: ListEntry) => Partial<ListEntry>> = [
    () => ({}), (e) => ({ mode: e.mode ^ 0o002 }), (e) => ({ nlink: e.nlink + 1 }), (e) => ({ uid: e.uid + 1 }), (e) => ({ gid: e.gid + 1 }),
    (e) => ({ ownerName: e.ownerName === undefined ? 'someone' : undefined }), (e) => ({ groupName: e.groupName === undefined ? 'staff' : undefined }),
    (e) => ({ size: e.size + 1 }), (e) => ({ mtime: new Date(e.mtime.getTime() + 1000) }), (e) => ({ mtime: new Date(e.mtime.getTime() + 1) }),
  ];
  const entries: ListEntry[] = [{ name: 'f0', mode: 0o100644, nlink: 1, uid: 1000, gid: 100, size: 0, mtime: new Date(now.getTime() - DAY) }];
  for (let i = 1; i < 200; i++) {
    const before = entries[i - 1]!;
    entries.push({ ...before, ...changes[(i * 7) % changes.length]!(before), name: `f${i}` });
  }

  test('ListFormatter', () => {
    for (const ids of ['numeric', 'names', 'hidden'] as const) {
      const formatter = new ListFormatter({ now, ids });
      for (const entry of entries) expect(formatter.format(entry)).toBe(formatListLine(entry, { now, ids }));
    }
  });

  test('MlsxFormatter', () => {
    const perms = ['r', 'r', 'radfw', undefined, undefined, 'elcmp'];
    const mlsx: MlsxEntry[] = entries.map((e, i) => ({ name: e.name, type: 'file', size: e.size, mtime: e.mtime, perm: perms[i % perms.length],
      mode: e.mode, uid: i % 11 === 10 ? undefined : e.uid, gid: e.gid, ownerName: e.ownerName, groupName: e.groupName }));
    for (const facts of [MLSX_FACTS, parseMlstOptions('type;modify;'), parseMlstOptions('unix.mode;perm;unix.groupname')]) {
      const formatter = new MlsxFormatter(facts);
      for (const entry of mlsx) expect(formatter.format(entry)).toBe(formatMlsxLine(entry, facts));
    }
  });
});

describe('MlsxFormatter', () => {
  test('lays out exactly what formatMlsxLine does, for any facts and repeated values', () => {
    const entries: MlsxEntry[] = [];
    for (let i = 0; i < 300; i++) {
      entries.push({
        name: `f ${i}`,
        type: (['file', 'dir', 'OS.unix=symlink', undefined] as const)[i % 4],
        size: i % 6 === 5 ? undefined : i * 1000,
        mtime: i % 9 === 8 ? undefined : new Date(now.getTime() - (i % 7) * 100 * DAY - (i % 3) * 400),
        perm: ['r', 'elcmp', 'radfw', undefined][i % 4],
        mode: i % 8 === 7 ? undefined : [0o100644, 0o040755, 0o104755, 0o001][i % 4]!,
        uid: i % 5 === 4 ? undefined : 1000 + (i % 4),
        gid: 100 + (i % 2),
        ownerName: i % 3 === 0 ? undefined : `user${i % 4}`,
        groupName: i % 2 === 0 ? `group${i % 2}` : undefined,
      });
    }
    for (const facts of [MLSX_FACTS, parseMlstOptions('type;modify;'), parseMlstOptions('unix.mode;perm;unix.groupname'), []]) {
      const formatter = new MlsxFormatter(facts);
      for (const entry of entries) expect(formatter.format(entry)).toBe(formatMlsxLine(entry, facts));
    }
  });

  test('refuses what formatMlsxLine refuses, also for facts it does not show', () => {
    const formatter = new MlsxFormatter(parseMlstOptions('type;'));
    expect(() => formatter.format({ name: 'x', perm: 'rz' })).toThrow(/acdeflmprw/);
    expect(() => formatter.format({ name: 'x', mtime: new Date(NaN) })).toThrow(RangeError);
    expect(formatter.format({ name: 'x', type: 'file', perm: 'r', mtime: now })).toBe('type=file; x');
  });
});
