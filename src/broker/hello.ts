// The hello that opens every broker channel: each side sends one hello
// message at once and checks the peer's, so that mismatched peers (another
// wire version, another protocol or version, another table, two clients)
// fail at once with a message saying what differs. Used on both sides.
import type { Message } from '../fd/channel.js';
import { ProtocolError } from '../errors.js';
import { ITEM_BYTES, ItemReader, ItemWriter } from './items.js';
import { type CompiledProtocol, MAX_PROTOCOL_NAME_BYTES } from './requests.js';

/** "PSBK" read as a little-endian u32: the first int of every hello. */
export const HELLO_MAGIC = 0x4b425350;
/** The version of the wire format (items and hello) this code speaks. */
export const WIRE_VERSION = 1;

/** The largest hello: five ints and the longest protocol name. */
export const MAX_HELLO_BYTES = 5 * ITEM_BYTES.int + ITEM_BYTES.bufHeader + MAX_PROTOCOL_NAME_BYTES;

export type BrokerRole = 'client' | 'server';
const ROLE_CODES: Readonly<Record<BrokerRole, number>> = { client: 1, server: 2 };

/** The hello message of `role` for `protocol`. */
export function encodeHello(role: BrokerRole, protocol: CompiledProtocol): Buffer {
  const name = Buffer.from(protocol.name, 'latin1');
  return new ItemWriter(5 * ITEM_BYTES.int + ITEM_BYTES.bufHeader + name.length)
    .int(HELLO_MAGIC)
    .int(WIRE_VERSION)
    .int(ROLE_CODES[role])
    .buf(name)
    .int(protocol.version)
    .int(protocol.fingerprint | 0)
    .finish();
}

/**
 * Checks the peer's hello against this side (`role`, `protocol`). The caller
 * closes the message's fds (a hello carries none).
 * @throws ProtocolError saying what differs, or what is malformed
 */
export function checkHello(message: Message, role: BrokerRole, protocol: CompiledProtocol): void {
  const reader = new ItemReader(message.data, message.fds, MAX_PROTOCOL_NAME_BYTES, 'hello');
  let magic: number;
  try {
    magic = reader.int();
  } catch (err) {
    throw new ProtocolError(`the peer's first message is not a broker hello (${(err as Error).message})`);
  }
  if (magic !== HELLO_MAGIC) {
    throw new ProtocolError(`the peer's first message is not a broker hello (magic 0x${hex(magic)}, expected 0x${hex(HELLO_MAGIC)})`);
  }
  const wireVersion = reader.int();
  if (wireVersion !== WIRE_VERSION) {
    throw new ProtocolError(`broker hello: the peer speaks wire version ${wireVersion}, this side speaks ${WIRE_VERSION}`);
  }
  const peerRole = reader.int();
  const name = reader.buf().toString('latin1');
  const version = reader.int();
  const fingerprint = reader.int() >>> 0;
  reader.end();
  const expected = role === 'client' ? 'server' : 'client';
  if (peerRole !== ROLE_CODES[expected]) {
    const what = peerRole === ROLE_CODES[role] ? `also a broker ${role}` : `of unknown role ${peerRole}`;
    throw new ProtocolError(`broker hello: the peer is ${what}; a ${role} needs a ${expected}`);
  }
  if (name !== protocol.name || version !== protocol.version) {
    throw new ProtocolError(`broker hello: the peer speaks protocol ${JSON.stringify(name)} version ${version}, this side ${JSON.stringify(protocol.name)} version ${protocol.version}`);
  }
  if (fingerprint !== protocol.fingerprint) {
    throw new ProtocolError(`broker hello: the peer's request table for ${JSON.stringify(name)} version ${version} differs from this side's (fingerprint 0x${hex(fingerprint)}, this side 0x${hex(protocol.fingerprint)})`);
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
