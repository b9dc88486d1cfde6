// The messages between a hand-off master and its workers, over a Channel.
// Connections and reports are binary (they are the hot path); the rare
// control messages are a type byte alone or a type byte plus JSON.
//
//   master -> worker  HELLO        [0x01] JSON { listeners: string[] }
//                     CONNECTIONS  [0x02][u16 n] n x ([u32 id][u16 listener][20-byte peer]); n fds attached
//                     DRAIN        [0x03]
//   worker -> master  READY        [0x10]
//                     REPORT       [0x11][u16 acked][u16 closed] (acked + closed) x [u32 id]
import { ProtocolError } from '../errors.js';
import { PEER_RECORD_BYTES } from '../fd/peer-address.js';

export const HELLO = 0x01;
export const CONNECTIONS = 0x02;
export const DRAIN = 0x03;
export const READY = 0x10;
export const REPORT = 0x11;

const CONNECTION_BYTES = 4 + 2 + PEER_RECORD_BYTES;

export interface WireConnection {
  id: number;
  listener: number;
  peer: Buffer;
}

export function encodeHello(listeners: string[]): Buffer {
  return Buffer.concat([Buffer.from([HELLO]), Buffer.from(JSON.stringify({ listeners }))]);
}

export function decodeHello(data: Buffer): string[] {
  if (data[0] !== HELLO) throw new ProtocolError(`expected HELLO from the master, got type ${data[0]}`);
  const value = JSON.parse(data.subarray(1).toString()) as { listeners?: unknown };
  if (!Array.isArray(value.listeners) || !value.listeners.every((l) => typeof l === 'string')) {
    throw new ProtocolError('HELLO without a list of listener names');
  }
  return value.listeners as string[];
}

export function encodeConnections(connections: readonly WireConnection[]): Buffer {
  const out = Buffer.allocUnsafe(3 + connections.length * CONNECTION_BYTES);
  out[0] = CONNECTIONS;
  out.writeUInt16LE(connections.length, 1);
  let at = 3;
  for (const c of connections) {
    out.writeUInt32LE(c.id, at);
    out.writeUInt16LE(c.listener, at + 4);
    c.peer.copy(out, at + 6, 0, PEER_RECORD_BYTES);
    at += CONNECTION_BYTES;
  }
  return out;
}

/** @throws ProtocolError when the length does not match the count, or fds are missing */
export function decodeConnections(data: Buffer, fdCount: number): WireConnection[] {
  const n = data.length >= 3 ? data.readUInt16LE(1) : -1;
  if (n < 0 || data.length !== 3 + n * CONNECTION_BYTES || n !== fdCount) {
    throw new ProtocolError(`malformed CONNECTIONS message (${data.length} bytes, ${fdCount} fds)`);
  }
  const out: WireConnection[] = new Array(n);
  for (let i = 0, at = 3; i < n; i++, at += CONNECTION_BYTES) {
    out[i] = { id: data.readUInt32LE(at), listener: data.readUInt16LE(at + 4), peer: data.subarray(at + 6, at + CONNECTION_BYTES) };
  }
  return out;
}

export function encodeReport(acked: readonly number[], closed: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(5 + 4 * (acked.length + closed.length));
  out[0] = REPORT;
  out.writeUInt16LE(acked.length, 1);
  out.writeUInt16LE(closed.length, 3);
  let at = 5;
  for (const id of acked) at = out.writeUInt32LE(id, at);
  for (const id of closed) at = out.writeUInt32LE(id, at);
  return out;
}

/** @throws ProtocolError when the length does not match the counts */
export function decodeReport(data: Buffer): { acked: number[]; closed: number[] } {
  const nAcked = data.length >= 5 ? data.readUInt16LE(1) : -1;
  const nClosed = data.length >= 5 ? data.readUInt16LE(3) : -1;
  if (nAcked < 0 || data.length !== 5 + 4 * (nAcked + nClosed)) {
    throw new ProtocolError(`malformed REPORT message (${data.length} bytes)`);
  }
  const acked: number[] = [];
  const closed: number[] = [];
  for (let i = 0; i < nAcked; i++) acked.push(data.readUInt32LE(5 + 4 * i));
  for (let i = 0; i < nClosed; i++) closed.push(data.readUInt32LE(5 + 4 * (nAcked + i)));
  return { acked, closed };
}
