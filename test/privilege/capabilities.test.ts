// Capabilities by name, and their changes on EVERY thread: capset, the
// bounding set, the ambient set and keep-caps are per-thread in the kernel.
import { afterAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, getCapabilities } from 'privsep';
import { isRoot } from '../helpers/process.js';
import { killCalls, runCalls } from '../helpers/calls.js';
import { CAP, andHex, capHex, mismatches, readStatus, readThreads } from '../helpers/proc-status.js';

afterAll(() => killCalls());

function hex(names: readonly string[]): string {
  return capHex(...names.map((n) => CAPABILITIES.indexOf(n as (typeof CAPABILITIES)[number])));
}

describe('capability names', () => {
  it('follow the kernel numbering', () => {
    expect(CAPABILITIES[0]).toBe('CAP_CHOWN');
    expect(CAPABILITIES.indexOf('CAP_NET_BIND_SERVICE')).toBe(CAP.NET_BIND_SERVICE);
    expect(CAPABILITIES.indexOf('CAP_SYS_ADMIN')).toBe(CAP.SYS_ADMIN);
    expect(CAPABILITIES[40]).toBe('CAP_CHECKPOINT_RESTORE');
  });

  it('getCapabilities reports the sets /proc shows for this thread', () => {
    const sets = getCapabilities();
    const status = readStatus('self');
    expect([sets.effective, sets.permitted, sets.inheritable, sets.bounding, sets.ambient].map(hex)).toEqual(
      [status.CapEff, status.CapPrm, status.CapInh, status.CapBnd, status.CapAmb],
    );
  });

  it('rejects unknown names and wrong types', async () => {
    const run = await runCalls([
      ['setCapabilities', { effective: ['CAP_NOPE'], permitted: [], inheritable: [] }],
      ['setCapabilities', { effective: 'CAP_CHOWN', permitted: [], inheritable: [] }],
      ['dropBoundingSet', ['net_bind_service']],
      ['setKeepCaps', 'yes'],
    ]);
    await run.finish();
    expect(run.results).toMatchObject([
      { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
      { ok: false, code: 'ERR_INVALID_ARG_TYPE' },
      { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
      { ok: false, code: 'ERR_INVALID_ARG_TYPE' },
    ]);
  });
});

if (!isRoot) console.log('capabilities.test: changing capabilities skipped: it needs root');

describe.skipIf(!isRoot)('capability changes reach every thread (root)', () => {
  const bounding = isRoot ? readStatus('self').CapBnd! : '';
  const permitted = isRoot ? readStatus('self').CapPrm! : '';

  it('sets the bounding, effective, permitted, inheritable and ambient sets of all threads', async () => {
    const kept = ['CAP_CHOWN', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'];
    const run = await runCalls([
      ['threadCount'],
      ['fillPool'],
      ['startWorker'],
      ['dropBoundingSet', ['CAP_SYS_BOOT', 'CAP_SYS_MODULE']],
      ['setCapabilities', { effective: kept, permitted: kept, inheritable: ['CAP_NET_BIND_SERVICE'] }],
      ['raiseAmbient', ['CAP_NET_BIND_SERVICE']],
      ['threadCount'],
      ['getCapabilities'],
    ]);
    try {
      expect(run.results.every((r) => r.ok)).toBe(true);
      const threads = readThreads(run.pid);
      expect(threads.length).toBe(run.results[6]!.value);
      // Four pool threads and the worker's thread at least.
      expect(threads.length).toBeGreaterThanOrEqual((run.results[0]!.value as number) + 5);
      const withoutBootAndModule = andHex(bounding, (~(1n << 22n) & ~(1n << 16n) & ((1n << 64n) - 1n)).toString(16).padStart(16, '0'));
      expect(mismatches(threads, {
        CapBnd: withoutBootAndModule,
        CapEff: hex(kept),
        CapPrm: hex(kept),
        CapInh: capHex(CAP.NET_BIND_SERVICE),
        CapAmb: capHex(CAP.NET_BIND_SERVICE),
      })).toEqual([]);
      expect(run.results[7]!.value).toMatchObject({ effective: kept, ambient: ['CAP_NET_BIND_SERVICE'] });
    } finally {
      await run.finish();
    }
  });

  it('lowers and clears the ambient set of all threads', async () => {
    const run = await runCalls([
      ['fillPool'],
      ['setCapabilities', { effective: ['CAP_CHOWN', 'CAP_KILL'], permitted: ['CAP_CHOWN', 'CAP_KILL'], inheritable: ['CAP_CHOWN', 'CAP_KILL'] }],
      ['raiseAmbient', ['CAP_CHOWN', 'CAP_KILL']],
      ['lowerAmbient', ['CAP_KILL']],
    ]);
    try {
      expect(mismatches(readThreads(run.pid), { CapAmb: capHex(CAP.CHOWN) })).toEqual([]);
    } finally {
      await run.finish();
    }
    const cleared = await runCalls([
      ['fillPool'],
      ['setCapabilities', { effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], inheritable: ['CAP_CHOWN'] }],
      ['raiseAmbient', ['CAP_CHOWN']],
      ['clearAmbient'],
    ]);
    try {
      expect(mismatches(readThreads(cleared.pid), { CapAmb: capHex(), CapInh: capHex(CAP.CHOWN) })).toEqual([]);
    } finally {
      await cleared.finish();
    }
  });

  it('sets keep-caps on every thread: all keep their permitted set across a uid change', async () => {
    for (const keep of [true, false]) {
      const run = await runCalls([
        ['fillPool'],
        ['setKeepCaps', keep],
        ['getKeepCaps'],
        ['setResUid', 65534],
      ]);
      try {
        expect(run.results[2]).toEqual({ ok: true, value: keep });
        // The euid change clears the effective set either way.
        expect(mismatches(readThreads(run.pid), { Uid: '65534 65534 65534 65534', CapPrm: keep ? permitted : capHex(), CapEff: capHex() })).toEqual([]);
      } finally {
        await run.finish();
      }
    }
  });
});
