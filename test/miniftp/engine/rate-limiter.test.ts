// The token bucket on a fake clock: grants within the burst at once, waits
// (and counts the wait) beyond it, keeps its long-run rate, and stops
// waiting when the transfer is aborted.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../../../examples/miniftp/session/index.js';

describe('RateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => vi.useRealTimers());
  // The fake timers move Date.now() too: the bucket sees exactly the time that passed.
  const limiter = (rate: number, burst?: number) => new RateLimiter(rate, { burst, now: () => Date.now() });
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  it('grants up to the burst at once, never more than asked', () => {
    const l = limiter(1000, 500);
    expect(l.take(200)).toBe(200);
    expect(l.take(300)).toBe(300);
    expect(l.waits).toBe(0);
    expect(limiter(1000, 500).take(10_000)).toBe(500);
  });

  it('waits for tokens, counts the wait, and grants what accrued', async () => {
    const l = limiter(1000, 500);
    expect(l.take(500)).toBe(500);
    const pending = l.take(500);
    expect(pending).toBeInstanceOf(Promise);
    expect(l.waits).toBe(1);
    let granted = 0;
    void (pending as Promise<number>).then((n) => (granted = n));
    await advance(499);
    expect(granted).toBe(0);
    await advance(1);
    expect(granted).toBe(500);
  });

  it('holds the long-run rate: 10,000 bytes at 1000 B/s take 9.5 s after a 500-byte burst', async () => {
    const l = limiter(1000, 500);
    let moved = 0;
    const run = (async () => {
      while (moved < 10_000) moved += await l.take(10_000 - moved);
    })();
    await advance(9_400);
    expect(moved).toBeLessThan(10_000);
    await advance(100);
    await run;
    expect(moved).toBe(10_000);
    expect(l.waits).toBe(19);
  });

  it('a wait ends with an AbortError when the transfer stops', async () => {
    const l = limiter(1000, 100);
    l.take(100);
    const controller = new AbortController();
    const pending = l.take(100, controller.signal) as Promise<number>;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(l.take(100, controller.signal) as Promise<number>).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('the default burst is a tenth of a second, between 1 KiB and 1 MiB', () => {
    expect(new RateLimiter(100_000).burst).toBe(10_000);
    expect(new RateLimiter(100).burst).toBe(1024);
    expect(new RateLimiter(1e9).burst).toBe(1 << 20);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new RateLimiter(Number.NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new RateLimiter(10, { burst: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
