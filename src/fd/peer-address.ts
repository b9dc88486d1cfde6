// The 20-byte peer record the addon writes for each accepted connection, and
// its decoding: family (4 or 6), a zero byte, port (big-endian), address.

export const PEER_RECORD_BYTES = 20;

export interface PeerAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
}

/** Decodes the record at `offset`. @throws RangeError for an unknown family byte */
export function decodePeer(buffer: Buffer, offset: number): PeerAddress {
  const family = buffer[offset];
  const port = buffer.readUInt16BE(offset + 2);
  if (family === 4) {
    return { family: 'IPv4', address: `${buffer[offset + 4]}.${buffer[offset + 5]}.${buffer[offset + 6]}.${buffer[offset + 7]}`, port };
  }
  if (family === 6) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buffer.readUInt16BE(offset + 4 + i * 2).toString(16));
    return { family: 'IPv6', address: compressIpv6(groups), port };
  }
  throw new RangeError(`peer record has unknown address family ${family}`);
}

// The canonical text form (RFC 5952): the longest run of two or more zero
// groups becomes "::".
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  const head = groups.slice(0, bestStart).join(':');
  const tail = groups.slice(bestStart + bestLength).join(':');
  if (bestStart === 0 && bestLength === 5 && groups[5] === 'ffff') {
    const v4 = (h: string) => parseInt(h, 16);
    return `::ffff:${v4(groups[6]!) >> 8}.${v4(groups[6]!) & 255}.${v4(groups[7]!) >> 8}.${v4(groups[7]!) & 255}`;
  }
  return `${head}::${tail}`;
}
