// The messages of a listener hand-over between two generations of a server,
// over a Channel. A type byte, then JSON where there is more to say:
//
//   old -> new  OFFER     [0x21] JSON { listeners: string[] }; one listening socket attached per name
//   new -> old  READY     [0x22]  the new generation accepts on them now
//               FAILED    [0x23] JSON { message: string }  it will not take them
//   old -> new  RELEASED  [0x24]  the old generation has stopped accepting
import { ProtocolError } from '../errors.js';
import { MAX_FDS_PER_MESSAGE } from '../fd/frame-reader.js';

export const OFFER = 0x21;
export const READY = 0x22;
export const FAILED = 0x23;
export const RELEASED = 0x24;

const NAMES: Record<number, string> = { [OFFER]: 'OFFER', [READY]: 'READY', [FAILED]: 'FAILED', [RELEASED]: 'RELEASED' };
const MAX_NAME_LENGTH = 256;

export function encodeOffer(names: readonly string[]): Buffer {
  return Buffer.concat([Buffer.from([OFFER]), Buffer.from(JSON.stringify({ listeners: names }))]);
}

export function encodeFailed(message: string): Buffer {
  return Buffer.concat([Buffer.from([FAILED]), Buffer.from(JSON.stringify({ message: message.slice(0, 4096) }))]);
}

function json(data: Buffer, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(data.subarray(1).toString());
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ProtocolError(`malformed ${what} message on the listener hand-over channel: not a JSON object`);
}

/** The message's type name. @throws ProtocolError for an empty message or one of another type than `expected` */
export function expectType(data: Buffer, expected: readonly number[]): number {
  const type = data[0];
  if (type === undefined || !expected.includes(type)) {
    const got = type === undefined ? 'an empty message' : `${NAMES[type] ?? 'unknown'} (type 0x${type.toString(16).padStart(2, '0')})`;
    throw new ProtocolError(`listener hand-over: expected ${expected.map((t) => NAMES[t]).join(' or ')}, got ${got}`);
  }
  return type;
}

/** The listener names; @throws ProtocolError when they are missing, not strings, or not one per fd */
export function decodeOffer(data: Buffer, fdCount: number): string[] {
  expectType(data, [OFFER]);
  const { listeners } = json(data, 'OFFER');
  if (!Array.isArray(listeners) || !listeners.every((name) => typeof name === 'string' && name.length <= MAX_NAME_LENGTH)) {
    throw new ProtocolError(`malformed OFFER message on the listener hand-over channel: listeners must be names of at most ${MAX_NAME_LENGTH} characters`);
  }
  if (listeners.length === 0 || listeners.length > MAX_FDS_PER_MESSAGE || listeners.length !== fdCount) {
    throw new ProtocolError(`malformed OFFER message on the listener hand-over channel: ${listeners.length} names for ${fdCount} sockets`);
  }
  return listeners as string[];
}

/** @throws ProtocolError for a FAILED message without a message */
export function decodeFailed(data: Buffer): string {
  const { message } = json(data, 'FAILED');
  if (typeof message !== 'string') throw new ProtocolError('malformed FAILED message on the listener hand-over channel: no message');
  return message;
}
