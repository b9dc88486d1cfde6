// Closed channels, pollers and broker ends are garbage: a node run with
// --expose-gc opens and closes a few hundred of each, forces a collection,
// and counts (with WeakRefs) how many survived. A watcher that kept its
// callback after close kept its Channel, and the Channel's 256 KiB read
// buffer, for the life of the process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/process.js';

const COUNT = 200;

async function collect(kind: string): Promise<{ created: number; alive: number; arrayBuffers: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fixture('collect-closed.mjs'), kind, String(COUNT)], { timeout: 30_000 });
  return JSON.parse(stdout) as { created: number; alive: number; arrayBuffers: number };
}

describe('closed objects are collected', () => {
  it.each([
    ['channel-eof', 'channels closed by the peer (from inside their own watcher callback)', 2],
    ['channel-close', 'channels closed by their owner', 2],
    ['poller', 'FdPollers', 1],
    ['broker', 'broker servers and clients with their channels', 4],
  ])('%s: %s', async (kind, _what, perRound) => {
    const result = await collect(kind);
    expect(result.created).toBe(COUNT * perRound);
    expect(result.alive).toBe(0);
    // Each surviving channel would hold a 256 KiB read buffer: 200 of them, 50 MiB.
    expect(result.arrayBuffers).toBeLessThan(8 * 1024 * 1024);
  });
});
