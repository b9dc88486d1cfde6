// setIdleScheduling: the scheduling class of every thread of another
// process, read back from /proc/PID/task/TID/stat (field 41, the policy).
import { afterAll, describe, expect, it } from 'vitest';
import { setIdleScheduling } from '../../src/index.js';
import { SCHED_IDLE, SCHED_OTHER, threadPolicies as policies } from '../helpers/proc-status.js';
import { killAll, startNode } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';

afterAll(() => killAll());
// Leaving SCHED_IDLE takes CAP_SYS_NICE.
const root = requireRoot('setIdleScheduling back to SCHED_OTHER');

/** A Node child with its libuv pool started (several threads), alive until killed. */
async function threadedChild() {
  const run = startNode('-e', ["require('node:crypto').pbkdf2('a', 'b', 1, 8, 'sha1', () => console.log('up')); setInterval(() => {}, 1000);"]);
  await new Promise<void>((resolve) => run.child.stdout!.once('data', () => resolve()));
  return run;
}

describe('setIdleScheduling', () => {
  it('moves every thread to SCHED_IDLE, and a thread started afterwards is born there', async () => {
    const run = await threadedChild();
    const pid = run.child.pid!;
    expect(policies(pid).length).toBeGreaterThan(4);
    setIdleScheduling(pid, true);
    expect(new Set(policies(pid))).toEqual(new Set([SCHED_IDLE]));
    run.child.kill('SIGKILL');
    await run.exited;
  });

  it.runIf(root)('moves every thread back to SCHED_OTHER (root)', async () => {
    const run = await threadedChild();
    const pid = run.child.pid!;
    setIdleScheduling(pid, true);
    setIdleScheduling(pid, false);
    expect(new Set(policies(pid))).toEqual(new Set([SCHED_OTHER]));
    run.child.kill('SIGKILL');
    await run.exited;
  });

  it('throws ESRCH for a process that is gone, and refuses bad arguments', async () => {
    const run = await threadedChild();
    const pid = run.child.pid!;
    run.child.kill('SIGKILL');
    await run.exited;
    expect(() => setIdleScheduling(pid, true)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'sched_setscheduler' }));
    expect(() => setIdleScheduling(0, true)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => setIdleScheduling(1.5, true)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => setIdleScheduling(pid, 'yes' as unknown as boolean)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
