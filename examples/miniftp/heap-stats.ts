// A process's own memory for the `stats` requests, after a full collection
// when the process runs with --expose-gc (the master adds it to its
// children's flags only when it runs with it itself). v8's numbers, not
// process.memoryUsage(): that reads /proc/self, which a chrooted worker has not.
import v8 from 'node:v8';

export interface HeapStats {
  /** Whether the numbers come after a forced full collection. */
  gc: boolean;
  heapUsed: number;
  /** The part of heapUsed that is compiled code: it grows as the JIT warms up, not with sessions. */
  code: number;
  heapTotal: number;
  /** The young generation's size (both semi-spaces): what a worker caps at run time. */
  youngGeneration: number;
  /** Memory outside the V8 heap that JavaScript objects hold, array buffers included. */
  external: number;
  /** Array buffers alone; null where /proc is out of reach (a chrooted worker). */
  arrayBuffers: number | null;
}

const forceGc = (globalThis as { gc?: () => void }).gc;

export async function heapStats(): Promise<HeapStats> {
  if (forceGc) {
    forceGc();
    // Finalizers run after the collection and free what they hold (native
    // watchers, say): collect again once they have.
    await new Promise((resolve) => setImmediate(resolve));
    forceGc();
  }
  const heap = v8.getHeapStatistics();
  let arrayBuffers: number | null = null;
  try {
    arrayBuffers = process.memoryUsage().arrayBuffers;
  } catch {
    // No /proc/self here.
  }
  let code = 0;
  let youngGeneration = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name.startsWith('code_')) code += space.space_used_size;
    if (space.space_name === 'new_space') youngGeneration = space.space_size;
  }
  return { gc: forceGc !== undefined, heapUsed: heap.used_heap_size, code, heapTotal: heap.total_heap_size, youngGeneration, external: heap.external_memory, arrayBuffers };
}

/** Whether this process can force a collection, and so should give its children the means too. */
export const gcExposed = forceGc !== undefined;
