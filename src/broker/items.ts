// The five wire kinds of the broker protocol (cmd, result, int, buf, fd) and
// their byte codec. A broker message's payload is a sequence of items, each a
// one-byte tag and its body; docs/broker.md gives the layout. Pure: no I/O.
// Used on both sides of the privilege boundary.
import { ProtocolError, checkInteger, invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import type { FdHandle } from '../fd/fd-handle.js';

export type ItemKind = 'cmd' | 'result' | 'int' | 'buf' | 'fd';

/** The tag byte of each kind: ASCII letters, so that a hex dump reads. */
export const ITEM_TAGS = { cmd: 0x43, result: 0x52, int: 0x49, buf: 0x42, fd: 0x46 } as const satisfies Record<ItemKind, number>;

/** The status byte of a result item. */
export const RESULT_OK = 0x01;
export const RESULT_BAD = 0x02;

/** The largest buf accepted or sent unless configured otherwise. */
export const DEFAULT_MAX_BUF_BYTES = 64 * 1024;
/** The longest error code a BAD result may carry. */
export const MAX_CODE_BYTES = 64;

/** Encoded sizes: cmd, int, fd and OK are fixed; buf and BAD add their bytes. */
export const ITEM_BYTES = { cmd: 2, int: 5, fd: 1, bufHeader: 5, resultOk: 2, resultBadHeader: 7 } as const;

/** The answer a result item carries: OK, or BAD with a code and an errno (0 for none). */
export type BrokerResult = { ok: true } | { ok: false; code: string; errno: number };

/** What a BAD result's code may be: 1 to 64 ASCII letters, digits or '_'. */
export const CODE_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

const KIND_OF_TAG = new Map<number, ItemKind>(Object.entries(ITEM_TAGS).map(([kind, tag]) => [tag, kind as ItemKind]));

/** Checks a cmd value (one byte). @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE */
export function checkCmd(name: string, value: unknown): number {
  return checkInteger(name, value, 0, 255);
}

/** Checks an int value (a signed 32-bit integer). @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE */
export function checkInt32(name: string, value: unknown): number {
  return checkInteger(name, value, -0x80000000, 0x7fffffff);
}

/**
 * The bytes of a buf value: a Uint8Array as is, a string as UTF-8.
 * @throws ERR_INVALID_ARG_TYPE; ERR_OUT_OF_RANGE when longer than `maxBytes`
 */
export function toBufBytes(name: string, value: unknown, maxBytes: number): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value);
  else if (Buffer.isBuffer(value)) bytes = value;
  else if (value instanceof Uint8Array) bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  else throw invalidArgType(name, 'a string, Buffer or Uint8Array', value);
  if (bytes.length > maxBytes) throw outOfRange(`${name}.length`, `<= ${maxBytes} (the buf limit)`, bytes.length);
  return bytes;
}

/** Checks the code of a BAD result: 1 to 64 ASCII letters, digits or '_'. @throws ERR_INVALID_ARG_VALUE */
export function checkCode(code: unknown): string {
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) {
    throw invalidArgValue('code', code, `must be 1 to ${MAX_CODE_BYTES} ASCII letters, digits or "_"`);
  }
  return code;
}

/** The encoded size of a BAD result with `code`. */
export function badResultBytes(code: string): number {
  return ITEM_BYTES.resultBadHeader + code.length;
}

/**
 * Writes items into one buffer of a size known in advance. Values must be
 * checked first (checkCmd, checkInt32, toBufBytes, checkCode): the writer
 * does not check them again.
 */
export class ItemWriter {
  readonly buffer: Buffer;
  #offset = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  cmd(value: number): this {
    this.buffer[this.#offset] = ITEM_TAGS.cmd;
    this.buffer[this.#offset + 1] = value;
    this.#offset += ITEM_BYTES.cmd;
    return this;
  }

  ok(): this {
    this.buffer[this.#offset] = ITEM_TAGS.result;
    this.buffer[this.#offset + 1] = RESULT_OK;
    this.#offset += ITEM_BYTES.resultOk;
    return this;
  }

  bad(code: string, errno: number): this {
    const b = this.buffer;
    b[this.#offset] = ITEM_TAGS.result;
    b[this.#offset + 1] = RESULT_BAD;
    b.writeInt32LE(errno, this.#offset + 2);
    b[this.#offset + 6] = code.length;
    b.write(code, this.#offset + 7, 'latin1');
    this.#offset += badResultBytes(code);
    return this;
  }

  int(value: number): this {
    this.buffer[this.#offset] = ITEM_TAGS.int;
    this.buffer.writeInt32LE(value, this.#offset + 1);
    this.#offset += ITEM_BYTES.int;
    return this;
  }

  buf(bytes: Uint8Array): this {
    this.buffer[this.#offset] = ITEM_TAGS.buf;
    this.buffer.writeUInt32LE(bytes.length, this.#offset + 1);
    this.buffer.set(bytes, this.#offset + 5);
    this.#offset += ITEM_BYTES.bufHeader + bytes.length;
    return this;
  }

  fd(): this {
    this.buffer[this.#offset] = ITEM_TAGS.fd;
    this.#offset += ITEM_BYTES.fd;
    return this;
  }

  /** The written bytes. */
  finish(): Buffer {
    return this.#offset === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.#offset);
  }
}

/**
 * Reads the items of one received message in order, taking its fds in order
 * for fd items. Every read checks the tag, the length, the limit and the fds;
 * `end()` checks that nothing is left over. Errors are ProtocolErrors whose
 * message starts with `context` and names the item at fault.
 */
export class ItemReader {
  readonly #data: Buffer;
  readonly #fds: readonly FdHandle[];
  readonly #maxBufBytes: number;
  /** Starts every error message: what the message is ('request getDataSocket'). */
  context: string;
  #offset = 0;
  #fdIndex = 0;
  #item = 0;

  constructor(data: Buffer, fds: readonly FdHandle[], maxBufBytes: number, context: string) {
    this.#data = data;
    this.#fds = fds;
    this.#maxBufBytes = maxBufBytes;
    this.context = context;
  }

  cmd(): number {
    this.#open('cmd', 1);
    return this.#data[this.#offset++]!;
  }

  result(): BrokerResult {
    this.#open('result', 1);
    const status = this.#data[this.#offset++]!;
    if (status === RESULT_OK) return { ok: true };
    if (status !== RESULT_BAD) throw this.#error(`result status 0x${hex(status)} is neither OK (0x01) nor BAD (0x02)`);
    this.#need('result', 5);
    const errno = this.#data.readInt32LE(this.#offset);
    const length = this.#data[this.#offset + 4]!;
    this.#offset += 5;
    this.#need('result', length);
    const code = this.#data.toString('latin1', this.#offset, this.#offset + length);
    this.#offset += length;
    if (!CODE_PATTERN.test(code)) throw this.#error(`BAD result code is not 1 to ${MAX_CODE_BYTES} ASCII letters, digits or "_"`);
    return { ok: false, code, errno };
  }

  int(): number {
    this.#open('int', 4);
    const value = this.#data.readInt32LE(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A buf item; its length is checked against the limit before anything is copied. */
  buf(): Buffer {
    this.#open('buf', 4);
    const length = this.#data.readUInt32LE(this.#offset);
    this.#offset += 4;
    if (length > this.#maxBufBytes) throw this.#error(`buf of ${length} bytes is over the limit of ${this.#maxBufBytes}`);
    this.#need('buf', length);
    const bytes = this.#data.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }

  /** An fd item: the message's next fd, still owned by the message until the caller takes it. */
  fd(): FdHandle {
    this.#open('fd', 0);
    const fd = this.#fds[this.#fdIndex];
    if (fd === undefined) throw this.#error(`missing fd: the message carries only ${this.#fds.length} fds`);
    this.#fdIndex++;
    return fd;
  }

  /** Checks that every byte and every fd of the message was used. @throws ProtocolError */
  end(): void {
    if (this.#offset < this.#data.length) {
      const left = this.#data.length - this.#offset;
      this.#item++;
      throw this.#error(`${left} bytes left over after the last expected item`);
    }
    if (this.#fdIndex < this.#fds.length) {
      const extra = this.#fds.length - this.#fdIndex;
      throw new ProtocolError(`${this.context}: ${extra} extra fd${extra === 1 ? '' : 's'}: the message carries ${this.#fds.length}, its items use ${this.#fdIndex}`);
    }
  }

  // Checks the tag of the next item and that `bodyBytes` follow it.
  #open(kind: ItemKind, bodyBytes: number): void {
    this.#item++;
    if (this.#offset >= this.#data.length) throw this.#error(`expected ${kind}, but the message ended (short read)`);
    const tag = this.#data[this.#offset]!;
    if (tag !== ITEM_TAGS[kind]) {
      const found = KIND_OF_TAG.get(tag);
      throw this.#error(`expected ${kind}, found ${found ?? `unknown item tag 0x${hex(tag)}`}`);
    }
    this.#offset++;
    this.#need(kind, bodyBytes);
  }

  #need(kind: ItemKind, bytes: number): void {
    const left = this.#data.length - this.#offset;
    if (left < bytes) throw this.#error(`${kind} is cut short (short read): it needs ${bytes} more bytes, ${left} remain`);
  }

  #error(what: string): ProtocolError {
    return new ProtocolError(`${this.context}: item ${this.#item}: ${what}`);
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
