// checkPassword and checkLogin against real shadow entries (temporary users
// with yescrypt and sha512-crypt passwords, locked, expired and aged with
// usermod and chage), and verifyCryptHash against known hashes. The cost of
// each outcome is observed on the addon's crypt: one call, with a setting of
// the method a wrong password is hashed with.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkLogin, checkPassword, cryptMethod, dummyHashLike, verifyCryptHash } from 'privsep';
import { native } from '../../src/native.js';
import { isRoot } from '../helpers/process.js';
import { admin, addUser, removeCreated, setPassword, shadowHash, shadowHashes, uniqueName } from '../helpers/users.js';

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

/** The settings the addon's crypt is called with while `run` runs. */
async function cryptSettings(run: () => Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(native, 'crypt');
  try {
    await run();
    return spy.mock.calls.map(([, setting]) => setting);
  } finally {
    spy.mockRestore();
  }
}

describe.skipIf(!isRoot)('checkLogin (root)', () => {
  const good = uniqueName('plgood');
  const expired = uniqueName('plexp');
  const mustChange = uniqueName('plchg');
  const aged = uniqueName('plage');
  const disabled = uniqueName('pldis');
  const locked = uniqueName('pllck');
  const all = [good, expired, mustChange, aged, disabled, locked];

  beforeAll(() => {
    for (const name of all) {
      addUser(name);
      setPassword(name, 'the password', 'SHA512');
    }
    admin('chage', '-E', '0', expired);
    admin('chage', '-d', '0', mustChange);
    admin('chage', '-d', '2000-01-01', '-M', '30', aged);
    admin('chage', '-d', '2000-01-01', '-M', '30', '-I', '10', disabled);
    admin('usermod', '-L', locked);
  });
  afterAll(() => removeCreated());
  afterEach(() => vi.restoreAllMocks());

  it('lets a user with the right password and a current account in', async () => {
    expect(await checkLogin(good, 'the password')).toBe('ok');
    expect(await checkLogin(good, 'the password ')).toBe('wrong-password');
  });

  it('never lets an empty password in, even when the hash is of the empty password', async () => {
    const emptyHash = uniqueName('plnul');
    addUser(emptyHash);
    setPassword(emptyHash, '', 'SHA512');
    expect(shadowHash(emptyHash)).toMatch(/^\$6\$/);
    expect(await checkLogin(emptyHash, '')).toBe('wrong-password');
    expect(await checkPassword(emptyHash, '')).toBe(false);
  });

  it('refuses expired, aged, disabled and locked accounts even with the right password', async () => {
    expect(await checkLogin(expired, 'the password')).toBe('account-expired');
    expect(await checkLogin(mustChange, 'the password')).toBe('password-change-required');
    expect(await checkLogin(aged, 'the password')).toBe('password-change-required');
    expect(await checkLogin(disabled, 'the password')).toBe('password-expired');
    expect(await checkLogin(locked, 'the password')).toBe('locked');
    // The password alone is still right for checkPassword, except where it is locked.
    expect(await checkPassword(expired, 'the password')).toBe(true);
    expect(await checkPassword(locked, 'the password')).toBe(false);
  });

  it('tells no account state with a wrong password, and an unknown user apart only by name', async () => {
    for (const name of [expired, mustChange, disabled]) expect(await checkLogin(name, 'wrong')).toBe('wrong-password');
    expect(await checkLogin('no-such-user-privsep', 'the password')).toBe('unknown-user');
  });

  it('hashes once, with the method of the real hashes, for every outcome', async () => {
    const method = cryptMethod(shadowHash(good));
    expect(method).toBe('$6$');
    const dummyHash = dummyHashLike([shadowHash(good)]);
    for (const [user, password] of [[good, 'wrong'], [good, 'the password'], [expired, 'the password'], [locked, 'x'], ['no-such-user-privsep', 'x'], [good, 'nul\0byte']]) {
      const settings = await cryptSettings(() => checkLogin(user!, password!, { dummyHash }));
      expect(settings.map(cryptMethod), `${user} / ${password}`).toEqual([method]);
    }
  });

  it('hashes an unknown user with the given dummy, or else one of the method most of /etc/shadow uses', async () => {
    const yescrypt = dummyHashLike(['$y$j9T$F5Jx5fExrKuPp53xLKQ..1$x']);
    expect(await cryptSettings(() => checkLogin('no-such-user-privsep', 'x', { dummyHash: yescrypt }))).toEqual([yescrypt]);
    const settings = await cryptSettings(() => checkLogin('no-such-user-privsep', 'x'));
    expect(settings).toHaveLength(1);
    expect(cryptMethod(settings[0]!)).toBe(cryptMethod(dummyHashLike(shadowHashes())));
  });

  it('rejects bad options', async () => {
    await expect(checkLogin(good, 'x', { dummyHash: 5 as unknown as string })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(checkLogin(good, 'x', { today: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});
