// The Channel's framing, on literal bytes.
import { describe, expect, it } from 'vitest';
import { FrameReader, encodeHeader } from '../../src/fd/frame-reader.js';
import { ProtocolError } from '../../src/errors.js';

function feed(reader: FrameReader, bytes: Buffer): void {
  reader.reserve(bytes.length);
  bytes.copy(reader.buffer, reader.end);
  reader.commit(bytes.length);
}

describe('FrameReader', () => {
  it('cuts frames out of bytes that arrive one at a time', () => {
    const reader = new FrameReader(1024, 16);
    const wire = Buffer.concat([encodeHeader(3, 1), Buffer.from('abc'), encodeHeader(0, 0), encodeHeader(2, 0), Buffer.from('xy')]);
    const frames = [];
    for (const byte of wire) {
      feed(reader, Buffer.from([byte]));
      for (let f = reader.next(); f; f = reader.next()) frames.push(f);
    }
    expect(frames.map((f) => [f.data.toString(), f.fdCount])).toEqual([['abc', 1], ['', 0], ['xy', 0]]);
    expect(reader.pendingBytes).toBe(0);
  });

  it('grows for a frame larger than its buffer and shrinks back after', () => {
    const reader = new FrameReader(1 << 20, 64);
    const payload = Buffer.alloc(5000, 7);
    feed(reader, Buffer.concat([encodeHeader(payload.length, 0), payload.subarray(0, 100)]));
    expect(reader.next()).toBeNull();
    feed(reader, Buffer.concat([payload.subarray(100), encodeHeader(1, 0), Buffer.from('z')]));
    expect(reader.next()!.data.equals(payload)).toBe(true);
    expect(reader.buffer.length).toBe(64);
    expect(reader.next()!.data.toString()).toBe('z');
  });

  it('rejects a header that announces too many fds or bytes', () => {
    const tooManyFds = new FrameReader(1024);
    feed(tooManyFds, encodeHeader(0, 254));
    expect(() => tooManyFds.next()).toThrow(ProtocolError);
    const tooLong = new FrameReader(1024);
    feed(tooLong, encodeHeader(1025, 0));
    expect(() => tooLong.next()).toThrow(/1025 bytes; the limit is 1024/);
  });
});
