// ASCII mode conversions on literal inputs, and the decoder cut at every
// position: chunk boundaries never change the result.
import { describe, expect, it } from 'vitest';
import { AsciiDecoder, asciiSize, toNetworkAscii } from '../../../examples/miniftp/session/ascii.js';

describe('ASCII mode', () => {
  it('downloads: every LF becomes CRLF; a CR in the file stays', () => {
    expect(toNetworkAscii(Buffer.from('a\nb\r\nc\rd\n\n')).toString()).toBe('a\r\nb\r\r\nc\rd\r\n\r\n');
    const plain = Buffer.from('no line end');
    expect(toNetworkAscii(plain)).toBe(plain);
    expect(asciiSize(Buffer.from('a\nb\r\nc\rd\n\n'))).toBe(14);
  });

  it('uploads: CRLF becomes LF; a lone CR stays, at any chunk boundary', () => {
    const wire = Buffer.from('one\r\ntwo\r\r\nthree\rfour\r\n\r\nend\r');
    const stored = 'one\ntwo\r\nthree\rfour\n\nend\r';
    for (let cut = 0; cut <= wire.length; cut++) {
      const decoder = new AsciiDecoder();
      const out = Buffer.concat([decoder.push(wire.subarray(0, cut)), decoder.push(wire.subarray(cut)), decoder.end()]);
      expect(out.toString(), `cut at ${cut}`).toBe(stored);
    }
    const byByte = new AsciiDecoder();
    const pieces = [...wire].map((b) => byByte.push(Buffer.from([b])));
    expect(Buffer.concat([...pieces, byByte.end()]).toString()).toBe(stored);
  });

  it('what goes down in ASCII comes back up unchanged', () => {
    const file = Buffer.from('x\r\ny\rz\n\r\n');
    const decoder = new AsciiDecoder();
    expect(Buffer.concat([decoder.push(toNetworkAscii(file)), decoder.end()])).toEqual(file);
  });
});
