import { describe, expect, test } from 'vitest';
import { PingSupervisor, type PingTarget } from '../../examples/miniftp/master/ping-supervisor.js';
import { waitFor } from '../helpers/process.js';

// A target that, once reported, leaves `targets` (the master replaces it).
function target(answer: 'at once' | 'never' | 'fails', targets: Set<PingTarget>): PingTarget & { pings: number; silences: number } {
  const t = {
    pings: 0,
    silences: 0,
    ping(): Promise<unknown> {
      t.pings++;
      if (answer === 'at once') return Promise.resolve();
      if (answer === 'fails') return Promise.reject(new Error('channel closed'));
      return new Promise(() => {});
    },
    silent(): void {
      t.silences++;
      targets.delete(t);
    },
  };
  targets.add(t);
  return t;
}

describe('PingSupervisor', () => {
  test('reports once a target that does not answer by the next round, or whose ping fails; never one that answers', async () => {
    const targets = new Set<PingTarget>();
    const answering = target('at once', targets);
    const stuck = target('never', targets);
    const failing = target('fails', targets);
    const supervisor = new PingSupervisor(20, () => targets);
    supervisor.start();
    try {
      await waitFor(() => stuck.silences > 0 && failing.silences > 0, 5000, 'both reported');
      await waitFor(() => answering.pings >= stuck.pings + 3, 5000, 'more rounds');
    } finally {
      supervisor.stop();
    }
    expect(answering.silences).toBe(0);
    expect(stuck.silences).toBe(1);
    expect(failing.silences).toBe(1);
    // A stuck target is not asked again while its ping is unanswered.
    expect(stuck.pings).toBe(1);
  });
});
