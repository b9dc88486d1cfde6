// The Channel's wire framing: every message is an 8-byte header (payload
// length and fd count, little-endian u32 each) followed by the payload. The
// fds of a message ride on the sendmsg that starts with its header, so they
// arrive no later than the header's first byte. Pure: no I/O here.
import { ProtocolError } from '../errors.js';

export const HEADER_BYTES = 8;
export const MAX_FDS_PER_MESSAGE = 253;
const EMPTY = Buffer.alloc(0);

/** Header for a message of `length` payload bytes carrying `fdCount` fds. */
export function encodeHeader(length: number, fdCount: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(length, 0);
  header.writeUInt32LE(fdCount, 4);
  return header;
}

export interface Frame {
  data: Buffer;
  fdCount: number;
}

/**
 * Collects received bytes in one buffer and cuts them into frames. The
 * socket reads straight into `buffer` at `end` (after `reserve`).
 */
export class FrameReader {
  buffer: Buffer;
  end = 0;
  #start = 0;
  readonly #chunkBytes: number;
  readonly #maxMessageBytes: number;

  constructor(maxMessageBytes: number, chunkBytes = 256 * 1024) {
    this.#maxMessageBytes = maxMessageBytes;
    this.#chunkBytes = chunkBytes;
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes held that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.end - this.#start;
  }

  /** Makes room for at least `minSpace` bytes after `end`, and for the whole frame in progress. */
  reserve(minSpace: number): void {
    const pending = this.end - this.#start;
    let need = Math.max(pending + minSpace, this.#chunkBytes);
    if (pending >= HEADER_BYTES) need = Math.max(need, HEADER_BYTES + this.buffer.readUInt32LE(this.#start));
    if (this.buffer.length - this.end >= minSpace && this.buffer.length - this.#start >= need) return;
    const target = need > this.buffer.length ? Buffer.allocUnsafe(need) : this.buffer;
    this.buffer.copy(target, 0, this.#start, this.end);
    this.buffer = target;
    this.end = pending;
    this.#start = 0;
  }

  /** Records that `n` bytes were written at `end`. */
  commit(n: number): void {
    this.end += n;
  }

  /** Drops the buffer (a closed channel reads no more); what frames were cut from it stays valid. */
  release(): void {
    this.buffer = EMPTY;
    this.end = 0;
    this.#start = 0;
  }

  /**
   * The next whole frame, or null until more bytes come.
   * @throws ProtocolError when a header announces too many fds or bytes
   */
  next(): Frame | null {
    const available = this.end - this.#start;
    if (available < HEADER_BYTES) return null;
    const length = this.buffer.readUInt32LE(this.#start);
    const fdCount = this.buffer.readUInt32LE(this.#start + 4);
    if (fdCount > MAX_FDS_PER_MESSAGE) {
      throw new ProtocolError(`message header announces ${fdCount} fds; at most ${MAX_FDS_PER_MESSAGE} fit in a message`);
    }
    if (length > this.#maxMessageBytes) {
      throw new ProtocolError(`message header announces ${length} bytes; the limit is ${this.#maxMessageBytes}`);
    }
    if (available < HEADER_BYTES + length) return null;
    const from = this.#start + HEADER_BYTES;
    if (length < this.#chunkBytes) {
      const data = Buffer.from(this.buffer.subarray(from, from + length));
      this.#start = from + length;
      if (this.#start === this.end) {
        this.#start = 0;
        this.end = 0;
      }
      return { data, fdCount };
    }
    // A large frame keeps the buffer it was read into; what follows it moves
    // to a fresh buffer of the usual size.
    const data = this.buffer.subarray(from, from + length);
    const rest = this.buffer.subarray(from + length, this.end);
    this.buffer = Buffer.allocUnsafe(Math.max(this.#chunkBytes, rest.length));
    rest.copy(this.buffer);
    this.#start = 0;
    this.end = rest.length;
    return { data, fdCount };
  }
}
