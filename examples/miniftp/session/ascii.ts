// ASCII mode (TYPE A) on the data connection: the server's LF line ends go
// out as CRLF, and CRLF coming in is stored as LF (RFC 959 3.1.1.1). Binary
// mode never passes bytes through here. Pure.

const LF = 0x0a;
const CR = 0x0d;

/**
 * Converts a download chunk: every LF becomes CRLF, as vsftpd does; a CR
 * already in the file is data and stays. Stateless, so chunks can be cut anywhere.
 */
export function toNetworkAscii(chunk: Buffer): Buffer {
  let count = 0;
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) count++;
  if (count === 0) return chunk;
  const out = Buffer.allocUnsafe(chunk.length + count);
  let from = 0;
  let to = 0;
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
    to += chunk.copy(out, to, from, i);
    out[to++] = CR;
    out[to++] = LF;
    from = i + 1;
  }
  chunk.copy(out, to, from);
  return out;
}

/**
 * Converts an upload, chunk by chunk: CRLF becomes LF; a CR not followed by
 * LF is data and stays. A CR at the end of a chunk is held until the next
 * chunk shows what follows it.
 */
export class AsciiDecoder {
  #heldCr = false;

  /** The converted bytes of `chunk`. */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let to = 0;
    let i = 0;
    if (this.#heldCr) {
      this.#heldCr = false;
      if (chunk[0] !== LF) out[to++] = CR;
    }
    while (i < chunk.length) {
      const cr = chunk.indexOf(CR, i);
      if (cr === -1) {
        to += chunk.copy(out, to, i);
        break;
      }
      to += chunk.copy(out, to, i, cr);
      if (cr === chunk.length - 1) {
        this.#heldCr = true;
      } else if (chunk[cr + 1] !== LF) {
        out[to++] = CR;
      }
      i = cr + 1;
    }
    return out.subarray(0, to);
  }

  /** The bytes still held at the end of the upload (a final lone CR). */
  end(): Buffer {
    const held = this.#heldCr;
    this.#heldCr = false;
    return held ? Buffer.from([CR]) : Buffer.alloc(0);
  }
}

/** The size of a file's bytes once sent in ASCII mode: one more byte per LF. */
export function asciiSize(bytes: Buffer): number {
  let count = 0;
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) count++;
  return bytes.length + count;
}
