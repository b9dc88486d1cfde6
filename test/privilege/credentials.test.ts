// Process credentials: read them, and set uid, gid and groups on every
// thread (glibc broadcasts set*id; checked through /proc for each thread).
import { afterAll, describe, expect, it } from 'vitest';
import { getCredentials } from 'privsep';
import { isRoot } from '../helpers/process.js';
import { killCalls, runCalls } from '../helpers/calls.js';
import { mismatches, readStatus, readThreads } from '../helpers/proc-status.js';
import { addGroup, addUser, removeCreated, uniqueName } from '../helpers/users.js';

afterAll(() => {
  killCalls();
  removeCreated();
});

describe('getCredentials', () => {
  it('reports the ids /proc shows', () => {
    const c = getCredentials();
    const status = readStatus('self');
    expect(`${c.uid} ${c.euid} ${c.suid}`).toBe(status.Uid!.split(' ').slice(0, 3).join(' '));
    expect(`${c.gid} ${c.egid} ${c.sgid}`).toBe(status.Gid!.split(' ').slice(0, 3).join(' '));
    expect([...c.groups].sort((a, b) => a - b).join(' ')).toBe(status.Groups!.split(' ').filter(Boolean).map(Number).sort((a, b) => a - b).join(' '));
  });

  it('rejects bad ids before any system call', async () => {
    const run = await runCalls([
      ['setResUid', -2],
      ['setResGid', 2 ** 32],
      ['setGroups', 'wheel'],
      ['setGroups', [1.5]],
      ['initGroups', '', 0],
    ]);
    await run.finish();
    expect(run.results).toMatchObject([
      { ok: false, code: 'ERR_OUT_OF_RANGE' },
      { ok: false, code: 'ERR_OUT_OF_RANGE' },
      { ok: false, code: 'ERR_INVALID_ARG_TYPE' },
      { ok: false, code: 'ERR_OUT_OF_RANGE' },
      { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
    ]);
  });
});

if (!isRoot) console.log('credentials.test: setting credentials skipped: it needs root');

describe.skipIf(!isRoot)('setting credentials (root)', () => {
  it('sets groups (initgroups), gid and uid on every thread, keeping a saved uid when asked', async () => {
    const group = uniqueName('pscg');
    const user = uniqueName('pscu');
    const gid = addGroup(group);
    addUser(user, { groups: [group] });
    const run = await runCalls([
      ['fillPool'],
      ['startWorker'],
      ['initGroups', user, 65534],
      ['setResGid', 65534],
      ['setResUid', 65534, 65534, 0],
      ['getCredentials'],
      ['threadCount'],
    ]);
    try {
      expect(run.results.every((r) => r.ok)).toBe(true);
      const groups = [gid, 65534].sort((a, b) => a - b);
      expect(run.results[5]!.value).toEqual({ uid: 65534, euid: 65534, suid: 0, gid: 65534, egid: 65534, sgid: 65534, groups });
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(run.results[6]!.value);
      expect(mismatches(threads, { Uid: '65534 65534 0 65534', Gid: '65534 65534 65534 65534', Groups: groups.join(' ') })).toEqual([]);
    } finally {
      await run.finish();
    }
  });
});
