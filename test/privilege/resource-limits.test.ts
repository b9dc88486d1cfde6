// getResourceLimit / setResourceLimit, checked against /proc/<pid>/limits.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { getResourceLimit } from 'privsep';
import { killCalls, runCalls } from '../helpers/calls.js';

afterAll(() => killCalls());

function procLimit(pid: number | 'self', label: string): [string, string] {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith(label))!;
  const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
  return [soft!, hard!];
}

describe('resource limits', () => {
  it('reads the limits /proc shows, Infinity for unlimited', () => {
    const { soft, hard } = getResourceLimit('nofile');
    expect(procLimit('self', 'Max open files')).toEqual([String(soft), String(hard)]);
    const core = getResourceLimit('core');
    const [coreSoft] = procLimit('self', 'Max core file size');
    expect(core.soft === Infinity ? 'unlimited' : String(core.soft)).toBe(coreSoft);
  });

  it('lowers limits of the process, and refuses bad values', async () => {
    const run = await runCalls([
      ['setResourceLimit', 'nofile', { soft: 100, hard: 200 }],
      ['getResourceLimit', 'nofile'],
      ['setResourceLimit', 'core', 0],
      ['setResourceLimit', 'nofile', { soft: 300, hard: 200 }],
      ['setResourceLimit', 'nofiles', 10],
      ['setResourceLimit', 'nofile', -1],
      ['setResourceLimit', 'nofile', { soft: 1 }],
    ]);
    try {
      expect(run.results).toMatchObject([
        { ok: true },
        { ok: true, value: { soft: 100, hard: 200 } },
        { ok: true },
        { ok: false, code: 'EINVAL', syscall: 'setrlimit' },
        { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
        { ok: false, code: 'ERR_OUT_OF_RANGE' },
        { ok: false, code: 'ERR_INVALID_ARG_TYPE' },
      ]);
      expect(procLimit(run.pid, 'Max open files')).toEqual(['100', '200']);
      expect(procLimit(run.pid, 'Max core file size')).toEqual(['0', '0']);
    } finally {
      await run.finish();
    }
  });
});
