// checkPassword against real shadow entries (temporary users with yescrypt
// and sha512-crypt passwords), and verifyCryptHash against known hashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPassword, verifyCryptHash } from 'privsep';
import { isRoot } from '../helpers/process.js';
import { admin, addUser, removeCreated, setPassword, shadowHash, uniqueName } from '../helpers/users.js';

// From the SHA-crypt specification's test vectors.
const SHA512_VECTOR = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';

describe('verifyCryptHash', () => {
  it('matches the right password and only that', async () => {
    expect(await verifyCryptHash('Hello world!', SHA512_VECTOR)).toBe(true);
    expect(await verifyCryptHash('Hello world?', SHA512_VECTOR)).toBe(false);
    expect(await verifyCryptHash('', SHA512_VECTOR)).toBe(false);
    expect(await verifyCryptHash('Hello world!\0more', SHA512_VECTOR)).toBe(false);
  });

  it('never matches a locked, empty or unparsable hash', async () => {
    expect(await verifyCryptHash('Hello world!', `!${SHA512_VECTOR}`)).toBe(false);
    expect(await verifyCryptHash('Hello world!', `*${SHA512_VECTOR}`)).toBe(false);
    expect(await verifyCryptHash('Hello world!', '*')).toBe(false);
    expect(await verifyCryptHash('', '')).toBe(false);
    expect(await verifyCryptHash('anything', '')).toBe(false);
    expect(await verifyCryptHash('Hello world!', '$6$saltstring$tampered')).toBe(false);
    expect(await verifyCryptHash('x', '$nope$garbage')).toBe(false);
  });

  it('rejects arguments that are not strings', async () => {
    await expect(verifyCryptHash(1 as unknown as string, SHA512_VECTOR)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(verifyCryptHash('x', null as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

if (!isRoot) console.log('password.test: checkPassword tests skipped: they need root (useradd, /etc/shadow)');

describe.skipIf(!isRoot)('checkPassword (root)', () => {
  const yes = uniqueName('psyes');
  const sha = uniqueName('pssha');
  const locked = uniqueName('pslck');
  const empty = uniqueName('psemp');

  beforeAll(() => {
    for (const name of [yes, sha, locked, empty]) addUser(name);
    setPassword(yes, 'correct horse', 'YESCRYPT');
    setPassword(sha, 'battery staple', 'SHA512');
    setPassword(locked, 'open sesame', 'YESCRYPT');
    admin('usermod', '-L', locked);
    admin('passwd', '-d', empty);
  });
  afterAll(() => removeCreated());

  it('stored the hashes the test means', () => {
    expect(shadowHash(yes)).toMatch(/^\$y\$/);
    expect(shadowHash(sha)).toMatch(/^\$6\$/);
    expect(shadowHash(locked)).toMatch(/^!\$y\$/);
    expect(shadowHash(empty)).toBe('');
  });

  it('accepts the right yescrypt and sha512-crypt passwords', async () => {
    expect(await checkPassword(yes, 'correct horse')).toBe(true);
    expect(await checkPassword(sha, 'battery staple')).toBe(true);
  });

  it('refuses wrong and empty passwords', async () => {
    expect(await checkPassword(yes, 'correct horse ')).toBe(false);
    expect(await checkPassword(yes, 'Correct horse')).toBe(false);
    expect(await checkPassword(sha, 'correct horse')).toBe(false);
    expect(await checkPassword(yes, '')).toBe(false);
  });

  it('refuses a locked account even with its password, and an empty password field', async () => {
    expect(await checkPassword(locked, 'open sesame')).toBe(false);
    expect(await checkPassword(empty, '')).toBe(false);
    expect(await checkPassword(empty, 'anything')).toBe(false);
  });

  it('refuses unknown users and system accounts without a password', async () => {
    expect(await checkPassword('no-such-user-privsep', 'x')).toBe(false);
    expect(await checkPassword('nobody', '')).toBe(false);
    expect(await checkPassword('nobody', '*')).toBe(false);
  });

  it('agrees with verifyCryptHash on the stored hash', async () => {
    expect(await verifyCryptHash('correct horse', shadowHash(yes))).toBe(true);
    expect(await verifyCryptHash('battery staple', shadowHash(sha))).toBe(true);
  });

  it('rejects a bad user name', async () => {
    await expect(checkPassword('', 'x')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});
