// An unknown name costs what a known one does: every refused login in the
// master's authenticate() hashes exactly once, with the method and cost of
// the hashes an attacker could be probing (user_db's when there is one,
// else /etc/shadow's). Observed on the addon's crypt calls (the real crypt
// runs), not by timing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cryptMethod, dummyHashLike } from 'privsep';
import { native } from '../../src/native.js';
import { defaultConfig } from '../../examples/miniftp/config.js';
import { authenticate } from '../../examples/miniftp/master/authenticate-privileged.js';
import { parseUserDb, type UserDb } from '../../examples/miniftp/user-db.js';
import { isRoot } from '../helpers/process.js';
import { admin, addUser, removeCreated, setPassword, sha512Crypt, shadowHash, shadowHashes, uniqueName } from '../helpers/users.js';

/** The settings crypt was called with while `run` ran, and its result. */
async function cryptSettings<T>(run: () => Promise<T>): Promise<{ result: T; settings: string[] }> {
  const spy = vi.spyOn(native, 'crypt');
  try {
    const result = await run();
    return { result, settings: spy.mock.calls.map(([, setting]) => setting) };
  } finally {
    spy.mockRestore();
  }
}

if (!isRoot) console.log('login-cost.test: skipped: it needs root (useradd, /etc/shadow)');

describe.skipIf(!isRoot)('authenticate: one hash of the same method for every refusal', () => {
  const local = uniqueName('lcl');
  const locked = uniqueName('lck');
  const config = defaultConfig();
  let userDb: UserDb;

  beforeAll(async () => {
    userDb = parseUserDb([
      `anna:${await sha512Crypt('anna-secret')}:nobody:/srv/ftp/anna`,
      `ben:${await sha512Crypt('ben-secret')}:nobody:/srv/ftp/ben`,
      // A minority of another method does not decide the dummy's.
      'cleo:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$0d4tjmq2aDOG6ZxJ1nT3gMFZkH6MpXtMJB6zAgB0WO4:nobody:/srv/ftp/cleo',
    ].join('\n'), 'users');
    for (const name of [local, locked]) {
      addUser(name, { shell: '/bin/sh' });
      setPassword(name, 'local-secret', 'SHA512');
    }
    admin('usermod', '-L', locked);
  });
  afterAll(() => removeCreated());

  it('hashes an unknown name like a user_db entry (sha512-crypt), as a wrong password of one', async () => {
    const wrong = await cryptSettings(() => authenticate(config, userDb, 'anna', 'guess'));
    const unknown = await cryptSettings(() => authenticate(config, userDb, 'nobody-by-this-name', 'guess'));
    expect(wrong.result).toBeNull();
    expect(unknown.result).toBeNull();
    expect(wrong.settings).toEqual([userDb.get('anna')!.passwordHash]);
    expect(unknown.settings).toHaveLength(1);
    expect(cryptMethod(unknown.settings[0]!)).toBe('$6$');
  });

  it('hashes a local user, locked or not, with its own method', async () => {
    for (const name of [local, locked]) {
      const { result, settings } = await cryptSettings(() => authenticate(config, userDb, name, 'guess'));
      expect(result).toBeNull();
      expect(settings.map(cryptMethod), name).toEqual([cryptMethod(shadowHash(local))]);
    }
  });

  it('without user_db, hashes an unknown name with the method most of /etc/shadow uses', async () => {
    const { result, settings } = await cryptSettings(() => authenticate(config, null, 'nobody-by-this-name', 'guess'));
    expect(result).toBeNull();
    expect(settings.map(cryptMethod)).toEqual([cryptMethod(dummyHashLike(shadowHashes()))]);
  });

  it('hashes once for a good login too', async () => {
    const { result, settings } = await cryptSettings(() => authenticate(config, userDb, 'ben', 'ben-secret'));
    expect(result).toMatchObject({ identity: { user: 'ben', uid: 65534 }, pam: null });
    expect(settings).toHaveLength(1);
  });
});
