// What a copy holds, as the cache index saves it (heldRanges) and a later
// mount restores it (restore).
import { describe, expect, it } from 'vitest';
import { CachedFile } from '../../examples/ftpfs/cached-file.js';

function copy(): CachedFile {
  return new CachedFile('/f', '/cache/1', true);
}

describe('CachedFile: held ranges', () => {
  it('holds nothing, a prefix while downloading, then the whole file', () => {
    const file = copy();
    file.size = 100;
    expect(file.heldRanges()).toEqual([]);
    file.stored(40);
    expect(file.heldRanges()).toEqual([[0, 40]]);
    file.stored(100);
    file.settle(null);
    expect(file.heldRanges()).toEqual([[0, 100]]);
  });

  it('restores what it saved: a whole file is complete, a prefix resumes, an empty file is whole', async () => {
    const whole = copy();
    whole.restore(100, [[0, 100]]);
    expect({ complete: whole.complete, size: whole.size, ranges: whole.heldRanges() }).toEqual({ complete: true, size: 100, ranges: [[0, 100]] });
    await whole.until(100);

    const partial = copy();
    partial.restore(100, [[0, 40]]);
    expect({ complete: partial.complete, size: partial.size, ranges: partial.heldRanges() }).toEqual({ complete: false, size: 100, ranges: [[0, 40]] });
    await partial.until(40);

    const empty = copy();
    empty.restore(0, []);
    expect(empty.complete).toBe(true);
  });

  it('keeps of ranges with a gap only the bytes from 0 (a copy here is a prefix)', () => {
    const file = copy();
    file.restore(100, [[10, 50], [60, 100]]);
    expect(file.heldRanges()).toEqual([]);
    file.restore(100, [[0, 30], [60, 100]]);
    expect(file.heldRanges()).toEqual([[0, 30]]);
  });
});
