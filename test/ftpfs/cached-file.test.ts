// A sparse copy's state: the ranges it holds, and reads waiting for ranges
// that downloads bring in any order; a download's failure is only the
// failure of the reads it was to serve.
import { describe, expect, it } from 'vitest';
import { CachedFile } from '../../examples/ftpfs/cached-file.js';
import { Downloader } from '../../examples/ftpfs/downloader.js';

function copyOf(size: number): CachedFile {
  const file = new CachedFile('/f', '/nowhere/1', true);
  file.forget(size);
  return file;
}

/** 'pending' until the promise settles, then 'ok' or the error's message. */
function track(promise: Promise<void>): () => string {
  let state = 'pending';
  promise.then(() => (state = 'ok'), (err: Error) => (state = err.message));
  return () => state;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CachedFile', () => {
  it('wakes a read once every byte of its range has arrived, in whatever order', async () => {
    const file = copyOf(100);
    const by = new Downloader(10, 0);
    const read = track(file.until(10, 30, by));
    file.stored(20, 30);
    await tick();
    expect(read()).toBe('pending');
    file.stored(10, 20);
    await tick();
    expect(read()).toBe('ok');
    expect(file.heldRanges()).toEqual([[10, 30]]);
    expect(file.complete).toBe(false);
    expect(file.heldBytes).toBe(20);
  });

  it('fails only the reads of the download that failed', async () => {
    const file = copyOf(100);
    const a = new Downloader(0, 0);
    const b = new Downloader(50, 0);
    const first = track(file.until(0, 10, a));
    const second = track(file.until(50, 60, b));
    file.ended(a, new Error('550 gone'));
    await tick();
    expect(first()).toBe('550 gone');
    expect(second()).toBe('pending');
    file.stored(50, 60);
    await tick();
    expect(second()).toBe('ok');
  });

  it('lets a read look again when its download stopped on purpose or met the end of the file', async () => {
    const file = copyOf(100);
    const a = new Downloader(0, 0);
    const stopped = track(file.until(0, 10, a));
    file.ended(a, null);
    await tick();
    expect(stopped()).toBe('ok');
    expect(file.covers(0, 10)).toBe(false);
    // The file turned out shorter than listed: a read past its end has all there is.
    const b = new Downloader(60, 0);
    const beyond = track(file.until(60, 90, b));
    file.stored(60, 70);
    file.reachedEnd(70);
    await tick();
    expect(beyond()).toBe('ok');
    expect(file.size).toBe(70);
  });

  it('gives up a wait when the read is interrupted', async () => {
    const file = copyOf(100);
    const abort = new AbortController();
    const read = track(file.until(0, 10, new Downloader(0, 0), abort.signal));
    abort.abort();
    await tick();
    expect(read()).not.toBe('pending');
    expect(read()).not.toBe('ok');
  });

  it('saves and restores what it holds', () => {
    const file = copyOf(100);
    file.stored(0, 10);
    file.stored(40, 100);
    const saved = file.heldRanges();
    expect(saved).toEqual([[0, 10], [40, 100]]);
    const again = new CachedFile('/f', '/nowhere/2', true);
    again.restore(100, saved);
    expect(again.heldRanges()).toEqual(saved);
    expect(again.complete).toBe(false);
    expect(again.firstGap(0, 100)).toEqual([10, 40]);
    again.restore(100, [[0, 60], [60, 100]]);
    expect(again.complete).toBe(true);
    // Ranges past the size are not content of the file.
    again.restore(50, [[0, 100]]);
    expect(again.heldRanges()).toEqual([[0, 50]]);
    expect(again.complete).toBe(true);
  });
});

describe('CachedFile: held ranges, as the cache index saves and restores them', () => {
  it('restores what it saved: a whole file is complete, ranges with gaps stay sparse, an empty file is whole', async () => {
    const whole = copyOf(0);
    whole.restore(100, [[0, 100]]);
    expect({ complete: whole.complete, size: whole.size, ranges: whole.heldRanges() }).toEqual({ complete: true, size: 100, ranges: [[0, 100]] });

    const sparse = copyOf(0);
    sparse.restore(100, [[10, 50], [60, 100]]);
    expect({ complete: sparse.complete, ranges: sparse.heldRanges() }).toEqual({ complete: false, ranges: [[10, 50], [60, 100]] });
    expect(sparse.covers(60, 100)).toBe(true);
    expect(sparse.covers(0, 20)).toBe(false);

    const empty = copyOf(0);
    empty.restore(0, []);
    expect(empty.complete).toBe(true);
  });

  it('drops what lies past the size it is given', () => {
    const file = copyOf(0);
    file.restore(50, [[0, 30], [40, 100]]);
    expect(file.heldRanges()).toEqual([[0, 30], [40, 50]]);
  });
});
