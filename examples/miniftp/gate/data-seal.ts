// strict_ssl_read_eof on a data connection's plaintext end: when the
// client ends its TLS data with close_notify, the gate follows the bytes
// with a seal (DATA_SEAL_MARK, then the count of bytes before it as 8 bytes
// big-endian); a stream cut short (a FIN without close_notify, a TLS error,
// a gate that died) ends without one. The count makes a seal that is only
// the client's own last bytes, left by a gate that died, unlikely to pass:
// it must match the bytes that came before it. Pure; the gate seals, the
// worker checks.

export const DATA_SEAL_MARK = 0xc5;
export const DATA_SEAL_LENGTH = 9;

/** The seal after `count` bytes of data. */
export function dataSeal(count: number): Buffer {
  const seal = Buffer.alloc(DATA_SEAL_LENGTH);
  seal[0] = DATA_SEAL_MARK;
  seal.writeBigUInt64BE(BigInt(count), 1);
  return seal;
}

/**
 * Reads a sealed stream: passes on all but its last DATA_SEAL_LENGTH bytes
 * (which may be the seal) until the end, then tells whether they were one.
 */
export class SealReader {
  #held: Buffer = Buffer.alloc(0);
  #passed = 0;

  /** The bytes of `chunk` (and of before it) that are data for sure; no copy of a large chunk. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length >= DATA_SEAL_LENGTH) {
      if (this.#held.length > 0) out.push(this.#held);
      out.push(chunk.subarray(0, chunk.length - DATA_SEAL_LENGTH));
      this.#held = chunk.subarray(chunk.length - DATA_SEAL_LENGTH);
    } else {
      const joined = Buffer.concat([this.#held, chunk]);
      const cut = Math.max(0, joined.length - DATA_SEAL_LENGTH);
      out.push(joined.subarray(0, cut));
      this.#held = joined.subarray(cut);
    }
    const data = out.filter((piece) => piece.length > 0);
    for (const piece of data) this.#passed += piece.length;
    return data;
  }

  /**
   * At the end of the stream: null when it ended with the seal of the bytes
   * passed on; otherwise the held bytes, which were data (the stream was cut).
   */
  end(): Buffer | null {
    const held = this.#held;
    this.#held = Buffer.alloc(0);
    const sealed = held.length === DATA_SEAL_LENGTH && held[0] === DATA_SEAL_MARK && held.readBigUInt64BE(1) === BigInt(this.#passed);
    return sealed ? null : held;
  }
}
