// The byte ranges a sparse copy holds: merging, coverage, gaps, truncation.
import { describe, expect, it } from 'vitest';
import { RangeMap } from '../../examples/ftpfs/range-map.js';

function mapOf(...ranges: Array<[number, number]>): RangeMap {
  const map = new RangeMap();
  for (const [s, e] of ranges) map.add(s, e);
  return map;
}

describe('RangeMap', () => {
  it('merges overlapping and touching ranges and keeps them sorted', () => {
    const map = mapOf([10, 20], [30, 40], [0, 5]);
    expect(map.list()).toEqual([[0, 5], [10, 20], [30, 40]]);
    expect(map.bytes).toBe(25);
    map.add(5, 10); // touches both neighbours
    expect(map.list()).toEqual([[0, 20], [30, 40]]);
    map.add(15, 35); // overlaps both
    expect(map.list()).toEqual([[0, 40]]);
    expect(map.bytes).toBe(40);
    map.add(50, 60);
    map.add(70, 80);
    map.add(45, 90); // swallows two
    expect(map.list()).toEqual([[0, 40], [45, 90]]);
    expect(map.bytes).toBe(85);
    map.add(42, 42); // empty: nothing
    map.add(1, 2); // inside: nothing
    expect(map.list()).toEqual([[0, 40], [45, 90]]);
    expect(map.bytes).toBe(85);
  });

  it('says whether a range is held, and the first part of it that is not', () => {
    const map = mapOf([10, 20], [30, 40]);
    expect(map.covers(10, 20)).toBe(true);
    expect(map.covers(12, 18)).toBe(true);
    expect(map.covers(9, 12)).toBe(false);
    expect(map.covers(18, 31)).toBe(false);
    expect(map.covers(20, 21)).toBe(false);
    expect(map.covers(5, 5)).toBe(true);
    expect(map.firstGap(0, 100)).toEqual([0, 10]);
    expect(map.firstGap(10, 100)).toEqual([20, 30]);
    expect(map.firstGap(12, 25)).toEqual([20, 25]);
    expect(map.firstGap(32, 38)).toBeNull();
    expect(map.firstGap(35, 50)).toEqual([40, 50]);
    expect(map.firstGap(45, 50)).toEqual([45, 50]);
    expect(map.firstGap(20, 20)).toBeNull();
    expect(new RangeMap().firstGap(3, 7)).toEqual([3, 7]);
  });

  it('forgets what lies past a size, and everything on clear', () => {
    const map = mapOf([0, 10], [20, 30], [40, 50]);
    map.truncate(25);
    expect(map.list()).toEqual([[0, 10], [20, 25]]);
    expect(map.bytes).toBe(15);
    map.truncate(20);
    expect(map.list()).toEqual([[0, 10]]);
    map.truncate(100);
    expect(map.list()).toEqual([[0, 10]]);
    map.truncate(0);
    expect(map.list()).toEqual([]);
    expect(map.bytes).toBe(0);
    map.add(3, 4);
    map.clear();
    expect(map.list()).toEqual([]);
    expect(map.bytes).toBe(0);
  });

  it('refuses a backwards or negative range with a clear error', () => {
    expect(() => new RangeMap().add(5, 4)).toThrow(/"range" is out of range\. It must be a byte range \[start, end\) with 0 <= start <= end\. Received \[5, 4\)/);
    expect(() => new RangeMap().add(-1, 4)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('takes a million sequential chunks in linear time as one range', () => {
    const map = new RangeMap();
    const started = Date.now();
    for (let i = 0; i < 1_000_000; i++) map.add(i * 64, (i + 1) * 64);
    expect(map.list()).toEqual([[0, 64_000_000]]);
    // Quadratic work would take minutes; linear takes well under a second.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('matches a byte-by-byte model under random adds and truncations', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const map = new RangeMap();
    let model = new Array<boolean>(200).fill(false);
    for (let round = 0; round < 2000; round++) {
      if (random(20) === 0) {
        const size = random(200);
        map.truncate(size);
        model = model.map((held, i) => held && i < size);
      } else {
        const s = random(200);
        const e = Math.min(200, s + random(15));
        map.add(s, e);
        for (let i = s; i < e; i++) model[i] = true;
      }
      const s = random(200);
      const e = Math.min(200, s + random(30));
      expect(map.covers(s, e)).toBe(model.slice(s, e).every(Boolean));
      const gapStart = model.findIndex((held, i) => i >= s && i < e && !held);
      const gap = map.firstGap(s, e);
      if (gapStart === -1) expect(gap).toBeNull();
      else {
        let gapEnd = gapStart;
        while (gapEnd < e && !model[gapEnd]) gapEnd++;
        expect(gap).toEqual([gapStart, gapEnd]);
      }
      expect(map.bytes).toBe(model.filter(Boolean).length);
    }
  });
});
