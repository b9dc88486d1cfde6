import { beforeAll, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { CONFIG_TABLE } from '../../examples/miniftp/config-table.js';
import { absentSettingNames } from '../../examples/miniftp/vsftpd-settings-absent.js';
import { lacksTools } from '../helpers/tools.js';

const MAN_PAGE = '/usr/share/man/man5/vsftpd.conf.5.gz';

/**
 * The settings of vsftpd.conf(5), by section: each is a `.TP` entry whose
 * next line is `.B name` under BOOLEAN, NUMERIC or STRING OPTIONS.
 */
function manPageSettings(roff: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let section: string | null = null;
  const lines = roff.split('\n');
  for (const [i, line] of lines.entries()) {
    const heading = /^\.SH\s+"?([^"]*)"?\s*$/.exec(line);
    if (heading) {
      section = /OPTIONS$/.test(heading[1]) ? heading[1] : null;
      if (section !== null) sections.set(section, []);
      continue;
    }
    if (section === null || line.trim() !== '.TP') continue;
    const name = /^\.B\s+([a-z0-9_]+)\s*$/.exec(lines[i + 1] ?? '');
    if (name) sections.get(section)!.push(name[1]);
  }
  return sections;
}

describe('manPageSettings', () => {
  test('takes the .TP/.B entries of the OPTIONS sections only', () => {
    const roff = ['.SH DESCRIPTION', '.TP', '.B not_a_setting', '.SH BOOLEAN OPTIONS', 'Below is a list.', '.TP',
      '.B anonymous_enable', 'Text with', '.B emphasis', '.TP', '.B listen', '.SH STRING OPTIONS', '.TP',
      '.B banner_file', '.SH AUTHOR', '.TP', '.B chris'].join('\n');
    expect(manPageSettings(roff)).toEqual(new Map([
      ['BOOLEAN OPTIONS', ['anonymous_enable', 'listen']],
      ['STRING OPTIONS', ['banner_file']],
    ]));
  });
});

describe.skipIf(lacksTools("the check of docs/miniftp-config.md against vsftpd's manual page", 'vsftpd'))(
  "vsftpd's settings: each a row of the settings table or listed with the reason it is absent", () => {
    let manSettings: string[] = [];
    let manPageMissing = false;
    const tableRows = new Set(Object.keys(CONFIG_TABLE));
    const absent = absentSettingNames();

    beforeAll(() => {
      if (!fs.existsSync(MAN_PAGE)) {
        manPageMissing = true;
        console.log(`skipping: vsftpd is installed but ${MAN_PAGE} is not (man pages excluded by dpkg?)`);
        return;
      }
      const sections = manPageSettings(zlib.gunzipSync(fs.readFileSync(MAN_PAGE)).toString('latin1'));
      expect([...sections.keys()].sort()).toEqual(['BOOLEAN OPTIONS', 'NUMERIC OPTIONS', 'STRING OPTIONS']);
      for (const [section, names] of sections) expect(names.length, `settings found under ${section}`).toBeGreaterThan(10);
      manSettings = [...sections.values()].flat();
    });

    test('every setting of the manual page is a row of the table or listed as absent', (context) => {
      context.skip(manPageMissing);
      const missing = manSettings.filter((name) => !tableRows.has(name) && !absent.includes(name));
      expect(missing, 'add these to examples/miniftp/vsftpd-settings-absent.ts with the reason, or to the table').toEqual([]);
    });

    test('every setting listed as absent is a setting of the manual page, listed once', (context) => {
      context.skip(manPageMissing);
      expect(absent.filter((name) => !manSettings.includes(name)), 'not a vsftpd setting').toEqual([]);
      expect(absent.filter((name, i) => absent.indexOf(name) !== i), 'listed twice').toEqual([]);
    });

    test('no setting of the table is listed as absent', () => {
      expect(absent.filter((name) => tableRows.has(name)),
        'now rows of the table: remove them from examples/miniftp/vsftpd-settings-absent.ts and run npm run docs:config').toEqual([]);
    });
  });
