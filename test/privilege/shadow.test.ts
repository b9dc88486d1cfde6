// The shadow rules without root (shadowAccountState on made-up entries, the
// method of a crypt hash, dummy hashes), and getShadowEntry on real entries
// changed with chage (root).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptMethod, dummyHashLike, getShadowEntry, shadowAccountState, verifyCryptHash, type ShadowEntry } from 'privsep';
import { isRoot } from '../helpers/process.js';
import { admin, addUser, removeCreated, setPassword, uniqueName } from '../helpers/users.js';

const TODAY = 20_000;

function entry(fields: Partial<ShadowEntry>): ShadowEntry {
  return {
    name: 'someone', hash: '$6$salt$hash', lastChange: TODAY - 100, minDays: 0, maxDays: 99999,
    warnDays: 7, inactiveDays: null, expireDay: null, ...fields,
  };
}

describe('shadowAccountState', () => {
  it('lets an account without dates, or with dates not reached, log in', () => {
    expect(shadowAccountState(entry({}), TODAY)).toBe('ok');
    expect(shadowAccountState(entry({ lastChange: null, maxDays: null, minDays: null, warnDays: null }), TODAY)).toBe('ok');
    expect(shadowAccountState(entry({ expireDay: TODAY + 1 }), TODAY)).toBe('ok');
    expect(shadowAccountState(entry({ maxDays: 101 }), TODAY)).toBe('ok');
    // A password changed too recently to change again, or inside the warning days, still logs in.
    expect(shadowAccountState(entry({ minDays: 1000, maxDays: 105, warnDays: 30 }), TODAY)).toBe('ok');
  });

  it('refuses an account from its expiry day on, whatever else it says (chage -E)', () => {
    expect(shadowAccountState(entry({ expireDay: TODAY }), TODAY)).toBe('account-expired');
    expect(shadowAccountState(entry({ expireDay: 0 }), TODAY)).toBe('account-expired');
    expect(shadowAccountState(entry({ expireDay: 0, lastChange: 0 }), TODAY)).toBe('account-expired');
  });

  it('wants a password change for lastChange 0 (chage -d 0) or a password older than maxDays', () => {
    expect(shadowAccountState(entry({ lastChange: 0 }), TODAY)).toBe('password-change-required');
    expect(shadowAccountState(entry({ maxDays: 100 }), TODAY)).toBe('password-change-required');
    expect(shadowAccountState(entry({ maxDays: 50, inactiveDays: 51 }), TODAY)).toBe('password-change-required');
  });

  it('disables the account once the password is older than maxDays + inactiveDays', () => {
    expect(shadowAccountState(entry({ maxDays: 50, inactiveDays: 50 }), TODAY)).toBe('password-expired');
    expect(shadowAccountState(entry({ maxDays: 10, inactiveDays: 0 }), TODAY)).toBe('password-expired');
  });

  it('never ages a password changed in the future or with aging off', () => {
    expect(shadowAccountState(entry({ lastChange: TODAY + 5, maxDays: 1, inactiveDays: 0 }), TODAY)).toBe('ok');
    expect(shadowAccountState(entry({ lastChange: null, maxDays: 1, inactiveDays: 0 }), TODAY)).toBe('ok');
  });
});

describe('cryptMethod and dummyHashLike', () => {
  it('names the method and cost of a hash, and nothing for what is no hash', () => {
    expect(cryptMethod('$6$saltstring$abc')).toBe('$6$');
    expect(cryptMethod('$6$rounds=10000$saltstring$abc')).toBe('$6$rounds=10000$');
    expect(cryptMethod('$y$j9T$F5Jx5fExrKuPp53xLKQ..1$abc')).toBe('$y$j9T$');
    expect(cryptMethod('$2b$12$abcdefghijklmnopqrstuu5xyzabcdefghijklmnopqrstuvwxyz1')).toBe('$2b$12$');
    expect(cryptMethod('abJnggxhB/yWI')).toBe('');
    for (const none of ['', '!', '*', '!$6$salt$abc', '*LK*', '$6$', 'x']) expect(cryptMethod(none)).toBeNull();
  });

  it('makes a hash of the setting most hashes use, that their passwords do not match', async () => {
    const vector = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
    const dummy = dummyHashLike(['$y$j9T$F5Jx5fExrKuPp53xLKQ..1$x', vector, '!locked', vector.replace('saltstring', 'othersalt')]);
    expect(cryptMethod(dummy)).toBe('$6$');
    expect(dummy).toMatch(/^\$6\$saltstring\$[./0-9A-Za-z]{86}$/);
    expect(dummy).not.toBe(vector);
    expect(await verifyCryptHash('Hello world!', vector)).toBe(true);
    expect(await verifyCryptHash('Hello world!', dummy)).toBe(false);
    expect(cryptMethod(dummyHashLike(['$6$rounds=6000$abcdefgh$x']))).toBe('$6$rounds=6000$');
    const bcrypt = '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
    expect(dummyHashLike([bcrypt]).slice(0, 29)).toBe(bcrypt.slice(0, 29));
    expect(dummyHashLike(['abJnggxhB/yWI']).slice(0, 2)).toBe('ab');
    // Nothing usable: yescrypt at the default cost.
    expect(cryptMethod(dummyHashLike(['*', '']))).toBe('$y$j9T$');
  });

  it('rejects what is not a list of strings', () => {
    expect(() => dummyHashLike(null as unknown as string[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => dummyHashLike([1 as unknown as string])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

if (!isRoot) console.log('shadow.test: getShadowEntry tests skipped: they need root (useradd, chage, /etc/shadow)');

describe.skipIf(!isRoot)('getShadowEntry (root)', () => {
  const plain = uniqueName('shpl');
  const aged = uniqueName('shag');

  beforeAll(() => {
    for (const name of [plain, aged]) addUser(name);
    setPassword(plain, 'pw', 'SHA512');
    setPassword(aged, 'pw', 'SHA512');
    admin('chage', '-E', '0', '-d', '2000-01-01', '-m', '1', '-M', '30', '-W', '5', '-I', '9', aged);
  });
  afterAll(() => removeCreated());

  it('reads every field chage sets, empty ones as null', async () => {
    const today = Math.floor(Date.now() / 86_400_000);
    const fresh = (await getShadowEntry(plain))!;
    expect(fresh.name).toBe(plain);
    expect(fresh.hash).toMatch(/^\$6\$/);
    expect(Math.abs(fresh.lastChange! - today)).toBeLessThanOrEqual(1);
    expect(fresh.expireDay).toBeNull();
    expect(fresh.inactiveDays).toBeNull();
    expect(await getShadowEntry(aged)).toMatchObject({
      lastChange: Date.UTC(2000, 0, 1) / 86_400_000, minDays: 1, maxDays: 30, warnDays: 5, inactiveDays: 9, expireDay: 0,
    });
    expect(shadowAccountState((await getShadowEntry(aged))!)).toBe('account-expired');
  });

  it('gives null for an unknown user and rejects a bad name', async () => {
    expect(await getShadowEntry('no-such-user-privsep')).toBeNull();
    await expect(getShadowEntry('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });
});
