// no_new_privs on every thread, and the dumpable flag. Any process may set
// no_new_privs, so these run without root too.
import { afterAll, describe, expect, it } from 'vitest';
import { getNoNewPrivs } from 'privsep';
import { killCalls, runCalls } from '../helpers/calls.js';
import { mismatches, readStatus, readThreads } from '../helpers/proc-status.js';

afterAll(() => killCalls());

describe('process flags', () => {
  it('getNoNewPrivs reports what /proc shows', () => {
    expect(getNoNewPrivs()).toBe(readStatus('self').NoNewPrivs === '1');
  });

  it('sets no_new_privs on every thread, pool and worker threads included', async () => {
    const run = await runCalls([
      ['fillPool'],
      ['startWorker'],
      ['getNoNewPrivs'],
      ['setNoNewPrivs'],
      ['getNoNewPrivs'],
      ['threadCount'],
    ]);
    try {
      expect(run.results[2]).toEqual({ ok: true, value: false });
      expect(run.results[4]).toEqual({ ok: true, value: true });
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(run.results[5]!.value);
      expect(mismatches(threads, { NoNewPrivs: '1' })).toEqual([]);
    } finally {
      await run.finish();
    }
  });

  it('sets and reads the dumpable flag', async () => {
    const run = await runCalls([
      ['setDumpable', false],
      ['getDumpable'],
      ['setDumpable', true],
      ['getDumpable'],
      ['setDumpable', 1],
    ]);
    await run.finish();
    expect(run.results).toMatchObject([
      { ok: true },
      { ok: true, value: false },
      { ok: true },
      { ok: true, value: true },
      { ok: false, code: 'ERR_INVALID_ARG_TYPE' },
    ]);
  });
});
