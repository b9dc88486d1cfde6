// The retry queue's policy: a failed upload is tried again after 1 s, then
// twice as long each time up to a minute; a write starts the wait over;
// each failure is told once per reason. Timers are Vitest's fake ones: the
// waits are a minute long.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CachedFile } from '../../examples/ftpfs/cached-file.js';
import { FIRST_RETRY_MS, MAX_RETRY_MS, UploadQueue } from '../../examples/ftpfs/upload-queue.js';
import { uploadState } from '../../examples/ftpfs/upload-state.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setUp(outcomes: Array<Error | null>) {
  const reports: string[] = [];
  const attempts: number[] = [];
  const file = new CachedFile('/w/note.txt', '/cache/1', false);
  file.dirty = true;
  const queue = new UploadQueue({
    send: async () => {
      attempts.push(Date.now());
      const outcome = outcomes.shift() ?? null;
      if (outcome) throw outcome;
      file.dirty = false;
      file.onServer = true;
    },
    report: (message) => reports.push(message),
    changed: () => {},
  });
  return { file, queue, reports, attempts };
}

describe('UploadQueue', () => {
  it('retries with a doubling wait up to the cap, tells each reason once, and tells when the file is on the server', async () => {
    const refused = new Error('connect ECONNREFUSED');
    const { file, queue, reports, attempts } = setUp([refused, refused, refused, refused, refused, refused, refused, refused, new Error('421 busy'), null]);
    await expect(queue.run(file)).rejects.toThrow(refused);
    expect(uploadState(file, queue.failure(file))).toBe('failed: connect ECONNREFUSED; next try in 1 s');
    await vi.runAllTimersAsync();
    const waits = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * FIRST_RETRY_MS));
    expect(Math.max(...waits)).toBe(MAX_RETRY_MS);
    expect(reports).toEqual([
      expect.stringMatching(/^\/w\/note\.txt is not on the server yet: upload failed \(connect ECONNREFUSED\)/),
      expect.stringMatching(/421 busy/),
      '/w/note.txt is on the server now',
    ]);
    expect(queue.failure(file)).toBeUndefined();
    expect(uploadState(file, undefined)).toBeNull();
  });

  it('a write starts the wait over', async () => {
    const failed = new Error('553 no');
    const { file, queue, attempts } = setUp([failed, failed, failed, null]);
    await expect(queue.run(file)).rejects.toThrow(failed);
    await vi.advanceTimersByTimeAsync(FIRST_RETRY_MS);
    await vi.advanceTimersByTimeAsync(2 * FIRST_RETRY_MS);
    expect(attempts).toHaveLength(3);
    queue.reset(file);
    await vi.advanceTimersByTimeAsync(FIRST_RETRY_MS);
    expect(attempts).toHaveLength(4);
    expect(attempts[3]! - attempts[2]!).toBe(FIRST_RETRY_MS);
  });

  it('an unmount tries every pending file at once, waits a bounded time, and stops the retries', async () => {
    const down = new Error('connect ECONNREFUSED');
    const { file, queue, attempts } = setUp(Array(100).fill(down));
    queue.resume(file, Date.now() + 30_000, 'connect ECONNREFUSED');
    const left = queue.drain(() => (file.dirty ? [file] : []), 5000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await left).toEqual([file]);
    const tried = attempts.length;
    expect(tried).toBeGreaterThanOrEqual(3); // at once, after 1 s, after 3 s
    await vi.advanceTimersByTimeAsync(10 * MAX_RETRY_MS);
    expect(attempts).toHaveLength(tried);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a deleted file is not tried again', async () => {
    const { file, queue, attempts } = setUp([new Error('550 no')]);
    await expect(queue.run(file)).rejects.toThrow();
    queue.forget(file);
    await vi.advanceTimersByTimeAsync(10 * MAX_RETRY_MS);
    expect(attempts).toHaveLength(1);
  });
});
