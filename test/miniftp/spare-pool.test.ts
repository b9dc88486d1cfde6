// The spare pool's replacements, with stand-in spares and fake timers: a
// spare that dies before it is taken has the master's ends of it closed, and
// spares that die as they start make the pool start one a second at most,
// whether the next start was due as a quiet replacement or as a refill of a
// dry pool. A taken spare is replaced after a pause, in the SCHED_IDLE class.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SparePool } from '../../examples/miniftp/master/spare-pool.js';
import type { SpareWorker } from '../../examples/miniftp/master/spare-worker.js';

interface StandIn {
  pid: number;
  idle: boolean;
  stopped: number;
  die(): void;
}

/** A start function whose spares die at once (`diesAtStart`) or when told to. */
function standIns(diesAtStart: boolean): { started: StandIn[]; start: (idle: boolean) => SpareWorker } {
  const started: StandIn[] = [];
  const start = (idle: boolean): SpareWorker => {
    let die = (): void => {};
    const exited = new Promise<void>((resolve) => (die = resolve));
    const standIn: StandIn = { pid: 1000 + started.length, idle, stopped: 0, die };
    started.push(standIn);
    if (diesAtStart) die();
    const stop = (): void => {
      standIn.stopped++;
      die();
    };
    return { pid: standIn.pid, exited, stop } as unknown as SpareWorker;
  };
  return { started, start };
}

describe('SparePool', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes what it holds of a spare that died untaken, and replaces it a second later', async () => {
    const { started, start } = standIns(false);
    const pool = new SparePool(2, start);
    pool.fill();
    expect(started.map((s) => s.idle)).toEqual([false, false]);
    started[0]!.die();
    await vi.advanceTimersByTimeAsync(0);
    expect(started[0]!.stopped).toBe(1);
    expect(pool.pids).toEqual([started[1]!.pid]);
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(3);
    expect(pool.pids).toHaveLength(2);
    await pool.stop();
  });

  it('starts spares that die as they start once a second at most, quiet replacements and dry refills alike', async () => {
    const { started, start } = standIns(true);
    const pool = new SparePool(8, start);
    pool.fill();
    // The first fill starts all eight before any has been seen to die.
    expect(started).toHaveLength(8);
    await vi.advanceTimersByTimeAsync(0);
    // Logins find the pool dry, each time arming its refill.
    for (let ms = 0; ms < 10_000; ms += 50) {
      expect(pool.take()).toBeNull();
      await vi.advanceTimersByTimeAsync(50);
    }
    const restarts = started.length - 8;
    expect(restarts).toBeGreaterThanOrEqual(8);
    expect(restarts).toBeLessThanOrEqual(10);
    expect(started.every((s) => s.stopped === 1)).toBe(true);
    await pool.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(started).toHaveLength(8 + restarts);
  });

  it('replaces a taken spare once no spare has been taken for a while, in the SCHED_IDLE class', async () => {
    const { started, start } = standIns(false);
    const pool = new SparePool(2, start);
    pool.fill();
    const taken = pool.take();
    expect(taken?.pid).toBe(started[0]!.pid);
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toHaveLength(3);
    expect(started[2]!.idle).toBe(true);
    expect(pool.pids).toEqual([started[1]!.pid, started[2]!.pid]);
    await pool.stop();
    expect(started.slice(1).every((s) => s.stopped === 1)).toBe(true);
  });
});
