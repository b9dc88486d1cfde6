// getUser, getGroup, getGroupList, resolveIdentity against the real user
// and group databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getGroup, getGroupList, getUser, getUserWithGroups, resolveIdentity } from 'privsep';
import { isRoot } from '../helpers/process.js';
import { addGroup, addUser, removeCreated, uniqueName } from '../helpers/users.js';

describe('getUser', () => {
  it('finds root by name and by uid', async () => {
    const byName = await getUser('root');
    expect(byName).toMatchObject({ name: 'root', uid: 0, gid: 0 });
    expect(typeof byName!.homedir).toBe('string');
    expect(typeof byName!.shell).toBe('string');
    expect(await getUser(0)).toEqual(byName);
  });

  it('finds nobody', async () => {
    expect(await getUser('nobody')).toMatchObject({ name: 'nobody', uid: 65534 });
  });

  it('answers null for a user that does not exist', async () => {
    expect(await getUser('no-such-user-privsep')).toBeNull();
    expect(await getUser(4_000_000_000)).toBeNull();
  });

  it('rejects bad arguments with Node-style codes', async () => {
    await expect(getUser('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(getUser('a\0b')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(getUser(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(getUser(1.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(getUser({} as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('getGroup', () => {
  it('finds root by name and by gid', async () => {
    const byName = await getGroup('root');
    expect(byName).toMatchObject({ name: 'root', gid: 0 });
    expect(Array.isArray(byName!.members)).toBe(true);
    expect(await getGroup(0)).toEqual(byName);
  });

  it('answers null for a group that does not exist', async () => {
    expect(await getGroup('no-such-group-privsep')).toBeNull();
  });

  it('rejects bad arguments', async () => {
    await expect(getGroup('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(getGroup(2 ** 32)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('getGroupList and resolveIdentity', () => {
  it('includes the given gid', async () => {
    expect(await getGroupList('nobody', 65534)).toEqual([65534]);
    expect(await getGroupList('nobody', 4242)).toEqual(expect.arrayContaining([4242]));
  });

  it('resolves the identity of nobody', async () => {
    expect(await resolveIdentity('nobody')).toEqual({ user: 'nobody', uid: 65534, gid: 65534, groups: [65534], homedir: '/nonexistent' });
    expect(await resolveIdentity(65534)).toMatchObject({ user: 'nobody', uid: 65534 });
  });

  it('rejects an unknown user with ERR_PRIVSEP_UNKNOWN_USER', async () => {
    await expect(resolveIdentity('no-such-user-privsep')).rejects.toMatchObject({ code: 'ERR_PRIVSEP_UNKNOWN_USER' });
  });
});

describe('getUserWithGroups', () => {
  it('answers what getUser and getGroupList answer, in one lookup', async () => {
    for (const name of ['root', 'nobody']) {
      const entry = (await getUser(name))!;
      expect(await getUserWithGroups(name)).toEqual({ entry, groups: await getGroupList(name, entry.gid) });
    }
  });

  it('answers null for a user that does not exist', async () => {
    expect(await getUserWithGroups('no-such-user-privsep')).toBeNull();
  });

  it('rejects bad arguments with Node-style codes', async () => {
    await expect(getUserWithGroups('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(getUserWithGroups('a\0b')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(getUserWithGroups(0 as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe.skipIf(!isRoot)('supplementary groups of a temporary user (root)', () => {
  const groupA = uniqueName('psga');
  const groupB = uniqueName('psgb');
  const user = uniqueName('psu');
  let gidA = 0;
  let gidB = 0;
  let uid = 0;

  beforeAll(() => {
    gidA = addGroup(groupA);
    gidB = addGroup(groupB);
    uid = addUser(user, { groups: [groupA, groupB] });
  });
  afterAll(() => removeCreated());

  it('lists the groups the user is a member of, sorted', async () => {
    expect(await getGroupList(user, 65534)).toEqual([gidA, gidB, 65534].sort((a, b) => a - b));
    expect(await getGroup(groupA)).toMatchObject({ gid: gidA, members: [user] });
    expect(await resolveIdentity(user)).toMatchObject({ user, uid, gid: 65534, groups: [gidA, gidB, 65534].sort((a, b) => a - b) });
    expect(await getUserWithGroups(user)).toMatchObject({ entry: { name: user, uid, gid: 65534 }, groups: [gidA, gidB, 65534].sort((a, b) => a - b) });
  });
});

if (!isRoot) console.log('users.test: temporary-user tests skipped: they need root (useradd)');
