// Hand-off wire messages and peer records, on literal bytes.
import { describe, expect, it } from 'vitest';
import { decodePeer } from '../../src/fd/peer-address.js';
import { decodeConnections, decodeHello, decodeReport, encodeConnections, encodeHello, encodeReport } from '../../src/handoff/wire.js';
import { ProtocolError } from '../../src/errors.js';

function peer4(a: number[], port: number): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 4;
  b.writeUInt16BE(port, 2);
  Buffer.from(a).copy(b, 4);
  return b;
}

describe('peer records', () => {
  it('decode IPv4 and IPv6 in canonical form', () => {
    expect(decodePeer(peer4([127, 0, 0, 1], 40000), 0)).toEqual({ family: 'IPv4', address: '127.0.0.1', port: 40000 });
    const v6 = Buffer.alloc(20);
    v6[0] = 6;
    v6.writeUInt16BE(443, 2);
    v6[19] = 1;
    expect(decodePeer(v6, 0)).toEqual({ family: 'IPv6', address: '::1', port: 443 });
    const mapped = Buffer.alloc(20);
    mapped[0] = 6;
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]).copy(mapped, 4);
    expect(decodePeer(mapped, 0).address).toBe('::ffff:10.1.2.3');
    const mid = Buffer.alloc(20);
    mid[0] = 6;
    Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]).copy(mid, 4);
    expect(decodePeer(mid, 0).address).toBe('2001:db8::1:0:0:1');
  });

  it('refuses an unknown family', () => {
    expect(() => decodePeer(Buffer.alloc(20), 0)).toThrow(RangeError);
  });
});

describe('hand-off messages', () => {
  it('round-trip', () => {
    expect(decodeHello(encodeHello(['plain', 'tls']))).toEqual(['plain', 'tls']);
    const conns = [{ id: 7, listener: 1, peer: peer4([127, 0, 0, 1], 5) }, { id: 0xffffffff, listener: 0, peer: peer4([10, 0, 0, 2], 6) }];
    const decoded = decodeConnections(encodeConnections(conns), 2);
    expect(decoded.map((c) => [c.id, c.listener, decodePeer(c.peer, 0).address])).toEqual([[7, 1, '127.0.0.1'], [0xffffffff, 0, '10.0.0.2']]);
    expect(decodeReport(encodeReport([1, 2], [3]))).toEqual({ acked: [1, 2], closed: [3] });
  });

  it('a count that does not match the bytes or the fds is a ProtocolError', () => {
    const one = encodeConnections([{ id: 1, listener: 0, peer: peer4([1, 2, 3, 4], 1) }]);
    expect(() => decodeConnections(one, 2)).toThrow(ProtocolError);
    expect(() => decodeConnections(one.subarray(0, 10), 1)).toThrow(ProtocolError);
    expect(() => decodeReport(Buffer.from([0x11, 5, 0, 0, 0]))).toThrow(ProtocolError);
    expect(() => decodeHello(Buffer.from([0x01, 0x7b]))).toThrow();
  });
});
