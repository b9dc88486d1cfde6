// releaseMemory: what an idle process gives back, measured in a process of
// its own that made garbage in both generations first.
import { describe, expect, it } from 'vitest';
import { fixture, startNode } from '../helpers/process.js';

interface Sizes {
  heap: number;
  newSpace: number;
  privateDirty: number;
}

describe('releaseMemory', () => {
  it('shrinks the V8 heap, its young generation and the process\'s private memory', async () => {
    const run = startNode(fixture('release-memory.mjs'));
    expect((await run.exited).code, run.stderr()).toBe(0);
    const { before, after } = JSON.parse(run.stdout()) as { before: Sizes; after: Sizes };
    expect(after.heap).toBeLessThan(before.heap);
    // The young generation goes back to its smallest size.
    expect(after.newSpace).toBeLessThan(before.newSpace);
    expect(after.newSpace).toBeLessThanOrEqual(1024 * 1024);
    expect(after.privateDirty).toBeLessThan(before.privateDirty);
  });
});
