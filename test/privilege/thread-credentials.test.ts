// threadCredentials: one entry per thread, matching what /proc says.
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, threadCredentials, type CapabilityName } from 'privsep';
import { readThreads } from '../helpers/proc-status.js';

function hex(names: CapabilityName[]): string {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(CAPABILITIES.indexOf(name));
  return mask.toString(16).padStart(16, '0');
}

describe('threadCredentials', () => {
  it('reports every thread of this process as /proc does', () => {
    const threads = threadCredentials();
    const proc = readThreads('self');
    expect(threads.map((t) => t.tid).sort()).toEqual(proc.map((t) => t.tid).sort());
    for (const thread of threads) {
      const fields = proc.find((t) => t.tid === thread.tid)!.fields;
      const { uid, gid } = thread;
      expect(`${uid.real} ${uid.effective} ${uid.saved} ${uid.filesystem}`).toBe(fields.Uid);
      expect(`${gid.real} ${gid.effective} ${gid.saved} ${gid.filesystem}`).toBe(fields.Gid);
      expect(thread.groups.join(' ')).toBe(fields.Groups!.split(' ').filter(Boolean).map(Number).sort((a, b) => a - b).join(' '));
      expect(thread.noNewPrivs).toBe(fields.NoNewPrivs === '1');
      const { inheritable, permitted, effective, bounding, ambient } = thread.capabilities;
      expect([inheritable, permitted, effective, bounding, ambient].map(hex)).toEqual(
        [fields.CapInh, fields.CapPrm, fields.CapEff, fields.CapBnd, fields.CapAmb],
      );
    }
    expect(threads.find((t) => t.tid === process.pid)).toBeDefined();
  });
});
