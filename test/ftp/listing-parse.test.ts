import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  FtpProtocolError,
  dosParser,
  formatListLine,
  formatMlsxLine,
  mlsxFileInfo,
  modeFromPermissions,
  namesListedDirectory,
  parseList,
  parseMlsxFacts,
  unixParser,
  type ListLineParser,
} from '../../examples/ftp/index.js';

const now = new Date(Date.UTC(2024, 5, 15, 12, 0, 0));
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(Date.UTC(y, mo - 1, d, h, mi, s));

describe('Unix ls -l lines', () => {
  test('vsftpd', () => {
    const text = [
      'drwxr-xr-x    2 1000     1000         4096 Jan 05 10:00 dir',
      '-rw-r--r--    1 1000     1000           12 Mar 15  2021 old.txt',
      'lrwxrwxrwx    1 0        0               7 Jun 01 12:34 link -> target dir/file',
      '-rw-r--r--    1 ftp      ftp      104857600 Feb 29 23:59 big file.bin',
      '-rw-------    1 ftp      ftp             0 Jun 15 13:30 clock skew',
      '',
    ].join('\r\n');
    expect(parseList(text, { now })).toEqual([
      { name: 'dir', type: 'directory', size: 4096, mode: 0o755, owner: '1000', group: '1000', modifiedAt: utc(2024, 1, 5, 10) },
      { name: 'old.txt', type: 'file', size: 12, mode: 0o644, owner: '1000', group: '1000', modifiedAt: utc(2021, 3, 15) },
      { name: 'link', type: 'symlink', size: 7, mode: 0o777, owner: '0', group: '0', target: 'target dir/file', modifiedAt: utc(2024, 6, 1, 12, 34) },
      { name: 'big file.bin', type: 'file', size: 104857600, mode: 0o644, owner: 'ftp', group: 'ftp', modifiedAt: utc(2024, 2, 29, 23, 59) },
      { name: 'clock skew', type: 'file', size: 0, mode: 0o600, owner: 'ftp', group: 'ftp', modifiedAt: utc(2024, 6, 15, 13, 30) },
    ]);
  });

  test('a date without a year later than now (plus a day) is last year', () => {
    const [entry] = parseList('-rw-r--r--    1 0 0 1 Dec 24 18:00 xmas', { now });
    expect(entry!.modifiedAt).toEqual(utc(2023, 12, 24, 18));
    const [jan] = parseList('-rw-r--r--    1 0 0 1 Jan 01 00:30 new year', { now: utc(2025, 1, 1, 0, 10) });
    expect(jan!.modifiedAt).toEqual(utc(2025, 1, 1, 0, 30));
  });

  test('ProFTPD, with space-padded days and a total line', () => {
    const text = [
      'total 2056',
      'drwxr-xr-x   2 ftp      ftp          4096 Jan  5 10:00 pub',
      '-rw-r--r--   1 ftp      ftp       1048576 Dec 31  2019 file.zip',
      'drwxr-xr-x   3 ftp      ftp          4096 Jun 15 11:59 .',
      'drwxr-xr-x   9 root     root         4096 Jun 15 11:59 ..',
    ].join('\n');
    expect(parseList(text, { now })).toEqual([
      { name: 'pub', type: 'directory', size: 4096, mode: 0o755, owner: 'ftp', group: 'ftp', modifiedAt: utc(2024, 1, 5, 10) },
      { name: 'file.zip', type: 'file', size: 1048576, mode: 0o644, owner: 'ftp', group: 'ftp', modifiedAt: utc(2019, 12, 31) },
    ]);
  });

  test('pure-ftpd, with its wide columns', () => {
    const text = [
      'drwxr-xr-x    2 1000       1000             4096 Jun  5 10:00 uploads',
      '-rw-r--r--    1 1000       1000              123 Jun  5 10:00 a file',
    ].join('\r\n');
    expect(parseList(text, { now }).map((e) => [e.name, e.type, e.size, e.owner, e.group])).toEqual([
      ['uploads', 'directory', 4096, '1000', '1000'],
      ['a file', 'file', 123, '1000', '1000'],
    ]);
  });

  test('devices, FIFOs, sockets, ACL and SELinux marks, special bits', () => {
    const lines = [
      'crw-rw-rw-    1 0        0          1,   3 Jan 01 00:00 null',
      'brw-rw----    1 0        6          8,   0 Jan 01 00:00 sda',
      'prw-------    1 0        0               0 Jan 01 00:00 fifo',
      'srwxr-xr-x    1 0        0               0 Jan 01 00:00 sock',
      '-rw-r--r--+   1 user     group          10 Jan 05 10:00 acl',
      'drwxr-xr-x.   2 user     group        4096 Jan 05 10:00 selinux',
      'drwxrwxrwt    2 0        0            4096 Jan 05 10:00 tmp',
      '-rwsr-Sr-T    1 0        0               1 Jan 05 10:00 special',
    ];
    const entries = parseList(lines.join('\n'), { now });
    expect(entries.map((e) => [e.name, e.type, e.size, e.mode])).toEqual([
      ['null', 'unknown', 0, 0o666],
      ['sda', 'unknown', 0, 0o660],
      ['fifo', 'unknown', 0, 0o600],
      ['sock', 'unknown', 0, 0o755],
      ['acl', 'file', 10, 0o644],
      ['selinux', 'directory', 4096, 0o755],
      ['tmp', 'directory', 4096, 0o1777],
      ['special', 'file', 1, 0o7744],
    ]);
  });

  test('names with leading spaces, arrows in file names, only an owner column, long-iso dates', () => {
    expect(unixParser.parse('-rw-r--r--    1 0        0               1 Jan 05 10:00  spaced ', { now })).toMatchObject({ name: ' spaced ' });
    expect(unixParser.parse('-rw-r--r--    1 0        0               1 Jan 05  2020  old spaced', { now })).toMatchObject({ name: ' old spaced', modifiedAt: utc(2020, 1, 5) });
    expect(unixParser.parse('-rw-r--r--    1 0        0               1 Jan 05 10:00 a -> b', { now })).toMatchObject({ name: 'a -> b', type: 'file' });
    expect(unixParser.parse('-rw-r--r--   1 owner    512 Jan 05 10:00 no group', { now })).toMatchObject({ name: 'no group', owner: 'owner', size: 512 });
    expect(unixParser.parse('-rw-r--r-- 1 anna staff 42 2023-11-02 17:05 iso.txt', { now })).toMatchObject({ name: 'iso.txt', size: 42, modifiedAt: utc(2023, 11, 2, 17, 5) });
    expect(unixParser.parse('-rw-r--r-- 1 group1 group2 42 Jan 05 10:00 digits', { now })).toMatchObject({ owner: 'group1', group: 'group2', size: 42 });
  });

  test('lines that are not Unix listings', () => {
    for (const line of ['', 'hello world', '-rw-r--r-- 1 0 0 12 Foo 05 10:00 x', 'xrw-r--r-- 1 0 0 12 Jan 05 10:00 x', '-rw-r--r-- 1 0 0 12 Jan 05 10:00']) {
      expect(unixParser.parse(line, { now })).toBeUndefined();
    }
    // A bad day or time keeps the entry without a date.
    expect(unixParser.parse('-rw-r--r-- 1 0 0 12 Jan 45 10:00 x', { now })).toMatchObject({ name: 'x' });
    expect(unixParser.parse('-rw-r--r-- 1 0 0 12 Jan 45 10:00 x', { now })?.modifiedAt).toBeUndefined();
    expect(unixParser.parse('-rw-r--r-- 1 0 0 12 Jan 05 25:00 x', { now })?.modifiedAt).toBeUndefined();
  });

  test('modeFromPermissions', () => {
    expect(modeFromPermissions('rwxr-x---')).toBe(0o750);
    expect(modeFromPermissions('rwSrwSrwT')).toBe(0o7666);
    expect(modeFromPermissions('---------')).toBe(0);
  });

  test("what the server's formatter writes, the client's parser reads back", () => {
    const nameChars = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\r\n]/.test(s) && s.trim() !== '' && s !== '.' && s !== '..' && !s.includes(' -> '));
    fc.assert(
      fc.property(
        nameChars,
        fc.constantFrom(0o100000, 0o040000, 0o120000),
        fc.integer({ min: 0, max: 0o7777 }),
        fc.nat({ max: 2 ** 40 }),
        fc.integer({ min: -400 * 86_400, max: 0 }),
        fc.constantFrom<'numeric' | 'hidden'>('numeric', 'hidden'),
        (name, type, perms, size, ageSeconds, ids) => {
          const mtime = new Date(now.getTime() + ageSeconds * 1000 - (now.getTime() % 60_000));
          const line = formatListLine({ name, mode: type | perms, nlink: 3, uid: 1000, gid: 50, size, mtime, target: 'dest' }, { now, ids });
          const info = unixParser.parse(line, { now });
          expect(info).toMatchObject({
            name, size, mode: perms,
            type: type === 0o040000 ? 'directory' : type === 0o120000 ? 'symlink' : 'file',
            owner: ids === 'hidden' ? 'ftp' : '1000',
          });
          if (type === 0o120000) expect(info!.target).toBe('dest');
          const recent = -ageSeconds <= 182 * 86_400;
          const minute = new Date(Math.floor(mtime.getTime() / 60_000) * 60_000);
          const day = new Date(Date.UTC(mtime.getUTCFullYear(), mtime.getUTCMonth(), mtime.getUTCDate()));
          expect(info!.modifiedAt).toEqual(recent ? minute : day);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LIST -a answers, as servers send them', () => {
  // As vsftpd 3.0, pure-ftpd 1.0.50 and pyftpdlib 1.5.7 send them.
  const vsftpd = [
    'drwxr-xr-x    2 1001     0            4096 Dec 06 15:10 .',
    'drwxr-xr-x    6 1001     0            4096 Dec 06 15:10 ..',
    '-rw-r--r--    1 1001     0               2 Dec 06 15:10 .q',
  ];
  const pureFtpd = [
    'drwxr-xr-x    2 ftpuser    0                4096 Dec  6 15:10 .',
    'drwxr-xr-x    4 ftpuser    0                4096 Dec  6 15:10 ..',
    '-rw-r--r--    1 ftpuser    0                   2 Dec  6 15:10 .h2',
    '-rw-r--r--    1 ftpuser    0                   2 Dec  6 15:10 vis',
  ];
  // pyftpdlib lists dot files in plain LIST and takes `LIST -a dir` for a path.
  const pyftpdlib = [
    '-rw-r--r--   1 root     root            2 Dec 06 15:10 .hidden',
    'drwxr-xr-x   2 root     root         4096 Dec 06 15:10 empty',
  ];

  test('`.` and `..` are not entries; dot files are', () => {
    expect(parseList(vsftpd.join('\r\n'), { now }).map((e) => e.name)).toEqual(['.q']);
    expect(parseList(pureFtpd.join('\r\n'), { now }).map((e) => [e.name, e.type, e.size, e.owner])).toEqual([['.h2', 'file', 2, 'ftpuser'], ['vis', 'file', 2, 'ftpuser']]);
    expect(parseList(pyftpdlib.join('\r\n'), { now }).map((e) => [e.name, e.type, e.mode, e.modifiedAt])).toEqual([
      ['.hidden', 'file', 0o644, utc(2023, 12, 6, 15, 10)],
      ['empty', 'directory', 0o755, utc(2023, 12, 6, 15, 10)],
    ]);
  });

  test('namesListedDirectory tells the `.` line, Unix or DOS, from every other', () => {
    expect([...vsftpd, ...pureFtpd].filter(namesListedDirectory)).toEqual([vsftpd[0], pureFtpd[0]]);
    expect(namesListedDirectory('12-06-26  03:10PM       <DIR>          .')).toBe(true);
    expect(namesListedDirectory('12-06-26  03:10PM       <DIR>          ..')).toBe(false);
    for (const line of [...pyftpdlib, '-rw-r--r--    1 0 0 2 Dec 06 15:10 a .', 'total 8', '.', 'type=cdir; .']) {
      expect(namesListedDirectory(line), line).toBe(false);
    }
  });
});

describe('DOS / IIS lines', () => {
  test('IIS default style', () => {
    const text = [
      '01-02-23  10:00AM       <DIR>          folder',
      '12-31-22  11:59PM                 1234 report 2022.pdf',
      '06-15-24  12:05AM                    0 midnight',
      '06-15-24  12:05PM                    7 noon',
      '07-04-1999  08:15                  100 four digit year, 24h',
    ].join('\r\n');
    expect(parseList(text, { now })).toEqual([
      { name: 'folder', type: 'directory', size: 0, modifiedAt: utc(2023, 1, 2, 10) },
      { name: 'report 2022.pdf', type: 'file', size: 1234, modifiedAt: utc(2022, 12, 31, 23, 59) },
      { name: 'midnight', type: 'file', size: 0, modifiedAt: utc(2024, 6, 15, 0, 5) },
      { name: 'noon', type: 'file', size: 7, modifiedAt: utc(2024, 6, 15, 12, 5) },
      { name: 'four digit year, 24h', type: 'file', size: 100, modifiedAt: utc(1999, 7, 4, 8, 15) },
    ]);
  });

  test('two-digit years from 70 are 19xx', () => {
    expect(dosParser.parse('03-04-85  01:00PM  5 old', { now })).toMatchObject({ modifiedAt: utc(1985, 3, 4, 13) });
  });

  test('bad dates keep the entry without a date; bad lines are not DOS', () => {
    expect(dosParser.parse('13-40-23  10:00AM       <DIR>          odd', { now })).toEqual({ name: 'odd', type: 'directory', size: 0 });
    expect(dosParser.parse('01-02-23  13:00PM  1 x', { now })).toBeUndefined();
    expect(dosParser.parse('01-02-23 10:00AM', { now })).toBeUndefined();
    expect(dosParser.parse('1-2-23  10:00AM  1 x', { now })).toBeUndefined();
  });
});

describe('MLSD lines', () => {
  test('ProFTPD facts, cdir and pdir skipped, names with spaces and ;', () => {
    const text = [
      'modify=20240611100000;perm=flcdmpe;type=cdir;unique=FD00U2;UNIX.group=0;UNIX.mode=0755;UNIX.owner=0; .',
      'modify=20240611100000;perm=flcdmpe;type=pdir;unique=FD00U1;UNIX.group=0;UNIX.mode=0755;UNIX.owner=0; ..',
      'modify=20230105100000;perm=adfrw;size=12;type=file;unique=FD00U1234;UNIX.group=1000;UNIX.groupname=users;UNIX.mode=0644;UNIX.owner=1000;UNIX.ownername=anna; file; with=odd name ',
      'modify=20240101000000;perm=adfr;size=6;type=OS.unix=slink:/etc/target;UNIX.mode=0777;UNIX.owner=0;UNIX.group=0; link',
      'modify=20240101000000.123;perm=flcdmpe;type=dir;UNIX.mode=02775; sub dir',
    ].join('\r\n');
    expect(parseList(text, { now })).toEqual([
      { name: 'file; with=odd name ', type: 'file', size: 12, modifiedAt: utc(2023, 1, 5, 10), mode: 0o644, owner: 'anna', group: 'users' },
      { name: 'link', type: 'symlink', size: 6, target: '/etc/target', modifiedAt: utc(2024, 1, 1), mode: 0o777, owner: '0', group: '0' },
      { name: 'sub dir', type: 'directory', size: 0, modifiedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 123)), mode: 0o2775 },
    ]);
  });

  test('pure-ftpd facts (sizd, UNIX.uid)', () => {
    expect(parseList('type=dir;sizd=4096;modify=20230105100000;UNIX.mode=0755;UNIX.uid=1000;UNIX.gid=1000;unique=803g1234; subdir', { now }))
      .toEqual([{ name: 'subdir', type: 'directory', size: 4096, modifiedAt: utc(2023, 1, 5, 10), mode: 0o755, owner: '1000', group: '1000' }]);
  });

  test("miniftp's own formatter", () => {
    const line = formatMlsxLine({ name: 'x y', type: 'file', size: 5, mtime: utc(2024, 2, 3, 4, 5, 6), perm: 'r', mode: 0o640, uid: 7, gid: 8 });
    expect(parseList(line, { now })).toEqual([{ name: 'x y', type: 'file', size: 5, modifiedAt: utc(2024, 2, 3, 4, 5, 6), mode: 0o640, owner: '7', group: '8' }]);
  });

  test('fact names are case-insensitive; bad values are ignored', () => {
    const entry = parseMlsxFacts('Type=FILE;SIZE=abc;Modify=2024;Unix.Mode=999; f');
    expect(entry).toEqual({ name: 'f', facts: { type: 'FILE', size: 'abc', modify: '2024', 'unix.mode': '999' } });
    expect(mlsxFileInfo(entry!)).toEqual({ name: 'f', type: 'file', size: 0 });
    expect(mlsxFileInfo({ name: 'dev', facts: { type: 'OS.unix=chr-13/29' } })).toEqual({ name: 'dev', type: 'unknown', size: 0 });
  });

  test('MLST entry: cdir is a directory when read alone', () => {
    const entry = parseMlsxFacts('type=cdir;modify=20240101000000; /home/anna');
    expect(mlsxFileInfo(entry!)).toMatchObject({ name: '/home/anna', type: 'directory' });
  });

  test('lines that are not MLSx', () => {
    for (const line of ['', ' name only', 'type=file', 'type=file; ', 'type=file name', 'no equals; x', ';=; x', 'ty pe=file; x', '-rw-r--r-- 1 0 0 1 Jan 05 10:00 a=b; c']) {
      expect(parseMlsxFacts(line)).toBeUndefined();
    }
  });
});

describe('parseList', () => {
  test('an empty listing is empty', () => {
    expect(parseList('', { now })).toEqual([]);
    expect(parseList('\r\n\r\n', { now })).toEqual([]);
    expect(parseList('total 0\r\n', { now })).toEqual([]);
  });

  test('skips lines no parser knows, among known ones', () => {
    expect(parseList('garbage line\r\n-rw-r--r-- 1 0 0 1 Jan 05 10:00 a\r\n', { now }).map((e) => e.name)).toEqual(['a']);
  });

  test('a listing with no known line is an error', () => {
    expect(() => parseList('this is not a listing\r\nnor is this\r\n', { now })).toThrow(FtpProtocolError);
    expect(() => parseList('<html><body>', { now })).toThrow(/unknown listing format: "<html><body>"/);
  });

  test('parsers are pluggable and tried in order', () => {
    const csv: ListLineParser = {
      name: 'csv',
      parse(line) {
        const m = /^(\w+),(\d+)$/.exec(line);
        return m ? { name: m[1]!, type: 'file', size: Number(m[2]) } : undefined;
      },
    };
    expect(parseList('a,1\nb,2\n', { parsers: [csv] })).toEqual([
      { name: 'a', type: 'file', size: 1 },
      { name: 'b', type: 'file', size: 2 },
    ]);
    expect(() => parseList('-rw-r--r-- 1 0 0 1 Jan 05 10:00 a', { parsers: [csv] })).toThrow(FtpProtocolError);
  });

  test('uses the current time when none is given', () => {
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const today = new Date();
    const line = `-rw-r--r-- 1 0 0 1 ${month[today.getUTCMonth()]} ${String(today.getUTCDate()).padStart(2, '0')} 00:00 today`;
    expect(parseList(line)[0]!.modifiedAt!.getUTCFullYear()).toBe(today.getUTCFullYear());
  });
});
