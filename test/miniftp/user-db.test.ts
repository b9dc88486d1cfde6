import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../examples/miniftp/config-error.js';
import { parseUserDb } from '../../examples/miniftp/user-db.js';

const FILE = '/etc/miniftp/users';
// `openssl passwd -6 -salt saltsalt secret`, `-5` and `-1`; a yescrypt and a bcrypt hash.
const SHA512 = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
const SHA256 = '$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA';
const MD5 = '$1$saltsalt$9xy1btjgzLYfb7hivXtC//';
const YESCRYPT = '$y$j9T$F5Jx5fExrKuPp53xLKQ..X$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7';
const BCRYPT = '$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m';

function parseError(text: string): ConfigError {
  try {
    parseUserDb(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('parseUserDb', () => {
  test('users with every common hash, comments, blank lines, CRLF', () => {
    const db = parseUserDb([
      '# virtual users of the archive',
      `anna:${SHA512}:ftpusers:/srv/ftp/anna`,
      '',
      `bob.smith@example.org:${SHA256}:www-data:/var/www/site`,
      `  carol:${MD5}:nobody:/srv/ftp/shared  `,
      `dave:${YESCRYPT}:ftpusers:/srv/ftp/dave`,
      `erin_2:${BCRYPT}:ftpusers:/srv/ftp/with:colon`,
      `frank:abcdefghijklm:ftpusers:/`,
    ].join('\r\n'), FILE);
    expect([...db.keys()]).toEqual(['anna', 'bob.smith@example.org', 'carol', 'dave', 'erin_2', 'frank']);
    expect(db.get('anna')).toEqual({ name: 'anna', passwordHash: SHA512, systemUser: 'ftpusers', root: '/srv/ftp/anna', line: 2 });
    expect(db.get('carol')).toMatchObject({ systemUser: 'nobody', root: '/srv/ftp/shared', line: 5 });
    expect(db.get('erin_2')).toMatchObject({ passwordHash: BCRYPT, root: '/srv/ftp/with:colon' });
    expect(Object.isFrozen(db.get('anna'))).toBe(true);
  });

  test('an empty file has no users', () => {
    expect(parseUserDb('', FILE).size).toBe(0);
    expect(parseUserDb('# nobody yet\n', FILE).size).toBe(0);
  });

  test('names are case-sensitive', () => {
    expect(parseUserDb(`anna:${MD5}:u:/a\nAnna:${MD5}:u:/b\n`, FILE).size).toBe(2);
  });

  test.each([
    ['too few fields', `anna:${MD5}:ftpusers`, 'expected name:crypt-hash:system-user:/root/directory'],
    ['an empty name', `:${MD5}:ftpusers:/srv`, 'bad user name "": letters, digits and ._@- only, at most 64'],
    ['a space in the name', `an na:${MD5}:ftpusers:/srv`, 'bad user name "an na": letters, digits and ._@- only, at most 64'],
    ['a name starting with -', `-anna:${MD5}:ftpusers:/srv`, 'bad user name "-anna": letters, digits and ._@- only, at most 64'],
    ['a name of 65 characters', `${'a'.repeat(65)}:${MD5}:ftpusers:/srv`, `bad user name "${'a'.repeat(64)}": letters, digits and ._@- only, at most 64`],
    ['anonymous', `anonymous:${MD5}:ftpusers:/srv`, 'user name "anonymous" is reserved for anonymous logins'],
    ['FTP', `FTP:${MD5}:ftpusers:/srv`, 'user name "FTP" is reserved for anonymous logins'],
    ['a locked hash', 'anna:!:ftpusers:/srv', 'bad password hash for user "anna": expected a crypt(3) hash such as $y$... or $6$...'],
    ['a starred hash', `anna:*${MD5}:ftpusers:/srv`, 'bad password hash for user "anna": expected a crypt(3) hash such as $y$... or $6$...'],
    ['an empty hash', 'anna::ftpusers:/srv', 'bad password hash for user "anna": expected a crypt(3) hash such as $y$... or $6$...'],
    ['a plain-text password', 'anna:secret:ftpusers:/srv', 'bad password hash for user "anna": expected a crypt(3) hash such as $y$... or $6$...'],
    ['a bad system user', `anna:${MD5}:ftp users:/srv`, 'bad system user "ftp users" for user "anna"'],
    ['root', `anna:${MD5}:root:/srv`, 'user "anna" must not act as root'],
    ['a relative root', `anna:${MD5}:ftpusers:srv/anna`, 'bad root directory "srv/anna" for user "anna": an absolute path without . or .. parts'],
    ['a root with ..', `anna:${MD5}:ftpusers:/srv/../etc`, 'bad root directory "/srv/../etc" for user "anna": an absolute path without . or .. parts'],
    ['an empty root', `anna:${MD5}:ftpusers:`, 'bad root directory "" for user "anna": an absolute path without . or .. parts'],
    ['a NUL in the root', `anna:${MD5}:ftpusers:/srv\0x`, 'bad root directory "/srv\\u0000x" for user "anna": an absolute path without . or .. parts'],
  ])('refuses %s, naming the line', (_, line, message) => {
    const err = parseError(`# users\n\n${line}\n`);
    expect(err).toMatchObject({ code: 'ERR_MINIFTP_CONFIG', file: FILE, line: 3 });
    expect(err.message).toBe(`${FILE}:3: ${message}`);
  });

  test('refuses a user defined twice', () => {
    const err = parseError(`anna:${MD5}:u:/a\nbob:${MD5}:u:/b\nanna:${SHA256}:u:/c\n`);
    expect(err.message).toBe(`${FILE}:3: duplicate user "anna" (first defined on line 1)`);
  });

  test('error messages never quote a hash', () => {
    for (const text of [`anna:${SHA512}x y:u:/a`, `anna:${SHA512}:root:/a`, `anna:${SHA512}:u:rel`]) {
      expect(parseError(text).message).not.toContain('saltsalt');
    }
  });
});
