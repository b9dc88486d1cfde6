// The typed layer's messages: a whole request (cmd + arguments) is one
// Channel message, and so is a whole reply (result + values), so a typed
// round trip costs the syscalls of a bare Channel round trip. Pure codec,
// used on both sides; decoding is strict and names what was wrong.
import type { Message } from '../fd/channel.js';
import type { FdHandle } from '../fd/fd-handle.js';
import { type Sendable, fdOf } from '../fd/sendable.js';
import { ProtocolError, invalidArgValue } from '../errors.js';
import { type BrokerResult, ITEM_BYTES, ItemReader, ItemWriter, MAX_CODE_BYTES, badResultBytes, checkCode, checkInt32, toBufBytes } from './items.js';
import { MAX_HELLO_BYTES } from './hello.js';
import type { CompiledProtocol, CompiledRequest, ValueKind } from './requests.js';

/** An encoded message: its payload and the fds to attach, in item order. */
export interface Outgoing {
  data: Buffer;
  fds: Sendable[];
}

/**
 * Encodes a call of `request` with `args` (checked against the table's kinds).
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE (wrong count), ERR_OUT_OF_RANGE (int range, buf limit)
 */
export function encodeRequest(request: CompiledRequest, args: readonly unknown[], maxBufBytes: number): Outgoing {
  if (!Array.isArray(args) || args.length !== request.args.length) {
    throw invalidArgValue('args', Array.isArray(args) ? `${args.length} argument(s)` : args, `of ${request.name} must be ${request.args.length} argument(s) (${request.args.join(', ') || 'none'})`);
  }
  return encodeValues(request.args, args, maxBufBytes, (w) => w.cmd(request.id), ITEM_BYTES.cmd, `${request.name} argument`);
}

/**
 * Encodes an OK reply of `request` from what its handler returned: nothing,
 * one value, or an array of values for several.
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE when the value does not fit the table
 */
export function encodeReply(request: CompiledRequest, value: unknown, maxBufBytes: number): Outgoing {
  return encodeValues(request.reply, replyValues(request, value), maxBufBytes, (w) => w.ok(), ITEM_BYTES.resultOk, `${request.name} reply value`);
}

/** The values of an OK reply as a list, from what a handler returned. @throws ERR_INVALID_ARG_VALUE */
export function replyValues(request: CompiledRequest, value: unknown): readonly unknown[] {
  if (request.reply.length === 0) return [];
  if (request.reply.length === 1) return [value];
  if (!Array.isArray(value) || value.length !== request.reply.length) {
    throw invalidArgValue('reply', Array.isArray(value) ? `${value.length} value(s)` : value, `of the ${request.name} handler must be an array of ${request.reply.length} values (${request.reply.join(', ')})`);
  }
  return value;
}

/** A BAD reply. @throws ERR_INVALID_ARG_VALUE for a bad code */
export function encodeBad(code: string, errno: number): Buffer {
  const checked = checkCode(code);
  return new ItemWriter(badResultBytes(checked)).bad(checked, errno | 0).finish();
}

function encodeValues(
  kinds: readonly ValueKind[], values: readonly unknown[], maxBufBytes: number,
  head: (w: ItemWriter) => void, headBytes: number, what: string,
): Outgoing {
  let size = headBytes;
  const fds: Sendable[] = [];
  const bufs: (Buffer | undefined)[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const name = `${what} ${i + 1}`;
    const value = values[i];
    switch (kinds[i]) {
      case 'int':
        checkInt32(name, value);
        size += ITEM_BYTES.int;
        break;
      case 'buf': {
        const bytes = toBufBytes(name, value, maxBufBytes);
        bufs[i] = bytes;
        size += ITEM_BYTES.bufHeader + bytes.length;
        break;
      }
      case 'fd':
        fdOf(value as Sendable, name);
        fds.push(value as Sendable);
        size += ITEM_BYTES.fd;
        break;
    }
  }
  const writer = new ItemWriter(size);
  head(writer);
  for (let i = 0; i < kinds.length; i++) {
    switch (kinds[i]) {
      case 'int': writer.int(values[i] as number); break;
      case 'buf': writer.buf(bufs[i]!); break;
      case 'fd': writer.fd(); break;
    }
  }
  return { data: writer.finish(), fds };
}

/** A decoded request. Its fd arguments are the message's fds, owned by the caller. */
export interface IncomingRequest {
  request: CompiledRequest;
  args: (number | Buffer | FdHandle)[];
}

/**
 * Decodes a request message: a cmd naming a request of the table, then
 * exactly its arguments and fds. Closes nothing: on error the caller closes
 * the message's fds.
 * @throws ProtocolError naming the fault (unknown request id, wrong kind, over the buf limit, missing or extra fd, short read)
 */
export function decodeRequest(protocol: CompiledProtocol, message: Message, maxBufBytes: number): IncomingRequest {
  const reader = new ItemReader(message.data, message.fds, maxBufBytes, 'request');
  const id = reader.cmd();
  const request = protocol.byId[id];
  if (request === undefined) throw new ProtocolError(`request: unknown request id ${id}: the ${protocol.name} table declares no such request`);
  reader.context = `request ${request.name}`;
  return { request, args: readValues(reader, request.args) };
}

/** A decoded reply: OK with its values as the call resolves them, or BAD. */
export type IncomingReply = { ok: true; value: unknown } | Extract<BrokerResult, { ok: false }>;

/**
 * Decodes the reply to a call of `request`: a result, and after OK exactly
 * the table's values and fds; after BAD nothing more.
 * @throws ProtocolError naming the fault
 */
export function decodeReply(request: CompiledRequest, message: Message, maxBufBytes: number): IncomingReply {
  const reader = new ItemReader(message.data, message.fds, maxBufBytes, `reply to ${request.name}`);
  const result = reader.result();
  if (!result.ok) {
    reader.end();
    return result;
  }
  const values = readValues(reader, request.reply);
  return { ok: true, value: request.reply.length === 0 ? undefined : request.reply.length === 1 ? values[0] : values };
}

function readValues(reader: ItemReader, kinds: readonly ValueKind[]): (number | Buffer | FdHandle)[] {
  const values: (number | Buffer | FdHandle)[] = new Array(kinds.length);
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i];
    values[i] = kind === 'int' ? reader.int() : kind === 'buf' ? reader.buf() : reader.fd();
  }
  reader.end();
  return values;
}

/** The largest message of `protocol` (hello, any request, any reply) with bufs of up to `maxBufBytes`. */
export function maxMessageBytes(protocol: CompiledProtocol, maxBufBytes: number): number {
  const sizeOf = (kinds: readonly ValueKind[]): number =>
    kinds.reduce((n, k) => n + (k === 'int' ? ITEM_BYTES.int : k === 'buf' ? ITEM_BYTES.bufHeader + maxBufBytes : ITEM_BYTES.fd), 0);
  let max = Math.max(ITEM_BYTES.resultBadHeader + MAX_CODE_BYTES, MAX_HELLO_BYTES);
  for (const request of protocol.requests) {
    max = Math.max(max, ITEM_BYTES.cmd + sizeOf(request.args), ITEM_BYTES.resultOk + sizeOf(request.reply));
  }
  return max;
}

/** Closes every fd a message brought (after a protocol error, or when nobody will answer it). */
export function closeFds(fds: readonly FdHandle[]): void {
  for (const fd of fds) fd.close();
}
