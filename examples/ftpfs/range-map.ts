// RangeMap: a set of byte offsets held as sorted, disjoint, non-touching
// [start, end) ranges: which parts of a file a sparse copy holds.
// Adding next to the last range (a sequential download) costs O(log n).
import { outOfRange } from 'privsep';

/** A half-open range of byte offsets: [start, end). */
export type Range = [number, number];

function checkRange(start: number, end: number): void {
  if (!(start >= 0) || !(end >= start)) {
    throw outOfRange('range', 'a byte range [start, end) with 0 <= start <= end', `[${start}, ${end})`);
  }
}

export class RangeMap {
  /** starts[i] < ends[i] < starts[i + 1]: ranges never touch (touching ones are merged). */
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  #bytes = 0;

  /** Bytes held: the sum of the ranges' lengths. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The number of disjoint ranges. */
  get count(): number {
    return this.#starts.length;
  }

  /** Index of the first range whose end is >= offset (ranges.length when none). */
  #firstEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.#ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ends[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Adds [start, end), merging it with the ranges it overlaps or touches.
   * @throws RangeError (ERR_OUT_OF_RANGE) unless 0 <= start <= end
   */
  add(start: number, end: number): void {
    checkRange(start, end);
    if (start === end) return;
    const first = this.#firstEndingAtOrAfter(start);
    let last = first;
    let newStart = start;
    let newEnd = end;
    let removed = 0;
    while (last < this.#starts.length && this.#starts[last]! <= end) {
      newStart = Math.min(newStart, this.#starts[last]!);
      newEnd = Math.max(newEnd, this.#ends[last]!);
      removed += this.#ends[last]! - this.#starts[last]!;
      last++;
    }
    if (last - first === 1) {
      this.#starts[first] = newStart;
      this.#ends[first] = newEnd;
    } else {
      this.#starts.splice(first, last - first, newStart);
      this.#ends.splice(first, last - first, newEnd);
    }
    this.#bytes += newEnd - newStart - removed;
  }

  /** True when every byte of [start, end) is held (an empty range always is). */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.#firstEndingAtOrAfter(start + 1);
    return i < this.#starts.length && this.#starts[i]! <= start && this.#ends[i]! >= end;
  }

  /** The first range of [start, end) not held, or null when all of it is. */
  firstGap(start: number, end: number): Range | null {
    if (end <= start) return null;
    const i = this.#firstEndingAtOrAfter(start + 1);
    if (i === this.#starts.length) return [start, end];
    const s = this.#starts[i]!;
    if (s > start) return [start, Math.min(end, s)];
    const e = this.#ends[i]!;
    if (e >= end) return null;
    const next = this.#starts[i + 1];
    return [e, next === undefined ? end : Math.min(end, next)];
  }

  /** The ranges held, in order. */
  list(): Range[] {
    return this.#starts.map((s, i) => [s, this.#ends[i]!]);
  }

  clear(): void {
    this.#starts.length = 0;
    this.#ends.length = 0;
    this.#bytes = 0;
  }

  /** Forgets every byte at or after `size`. */
  truncate(size: number): void {
    checkRange(0, size);
    const i = this.#firstEndingAtOrAfter(size + 1);
    if (i === this.#starts.length) return;
    let removed = 0;
    for (let j = i; j < this.#starts.length; j++) removed += this.#ends[j]! - Math.max(this.#starts[j]!, size);
    if (this.#starts[i]! < size) {
      this.#ends[i] = size;
      this.#starts.length = i + 1;
      this.#ends.length = i + 1;
    } else {
      this.#starts.length = i;
      this.#ends.length = i;
    }
    this.#bytes -= removed;
  }
}
