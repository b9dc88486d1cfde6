// The seal the TLS gate puts after an upload that ended with close_notify
// (strict_ssl_read_eof), as the worker reads it: the data passed on whole
// however it is cut into chunks, the seal recognised only when it counts
// the bytes before it, and a stream without one handing back its last bytes.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dataSeal, SealReader, DATA_SEAL_LENGTH } from '../../examples/miniftp/gate/data-seal.js';

/** Feeds `stream` to a SealReader in chunks of the given sizes (cycled); the data passed on and the end's verdict. */
function read(stream: Buffer, sizes: number[]): { data: Buffer; cut: Buffer | null } {
  const reader = new SealReader();
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; at += sizes[i++ % sizes.length]!) {
    out.push(...reader.push(stream.subarray(at, at + sizes[i % sizes.length]!)));
  }
  return { data: Buffer.concat(out), cut: reader.end() };
}

describe('the data seal (strict_ssl_read_eof)', () => {
  const payload = crypto.randomBytes(10_000);

  it('a sealed stream gives its data byte for byte, whatever the chunks', () => {
    for (const sizes of [[10_009], [1], [3, 8, 9, 10], [4096], [9], [8, 1]]) {
      const { data, cut } = read(Buffer.concat([payload, dataSeal(payload.length)]), sizes);
      expect(cut, `chunks ${sizes}`).toBeNull();
      expect(data.equals(payload), `chunks ${sizes}`).toBe(true);
    }
    expect(read(dataSeal(0), [2])).toEqual({ data: Buffer.alloc(0), cut: null });
  });

  it('a stream without its seal is cut: its last bytes come back as data', () => {
    for (const sizes of [[10_000], [1], [7, 5]]) {
      const { data, cut } = read(payload, sizes);
      expect(cut).not.toBeNull();
      expect(Buffer.concat([data, cut!]).equals(payload), `chunks ${sizes}`).toBe(true);
    }
    expect(read(Buffer.from('abc'), [1])).toEqual({ data: Buffer.alloc(0), cut: Buffer.from('abc') });
    expect(read(Buffer.alloc(0), [1]).cut).toEqual(Buffer.alloc(0));
  });

  it('a seal whose count is not that of the bytes before it is data, not a seal', () => {
    // What a client could send itself, ahead of a gate that died.
    const forged = Buffer.concat([payload, dataSeal(payload.length + 1)]);
    const { data, cut } = read(forged, [333]);
    expect(cut).toHaveLength(DATA_SEAL_LENGTH);
    expect(Buffer.concat([data, cut!]).equals(forged)).toBe(true);
  });
});
