// What a long-lived process that has gone idle gives back: V8's collection
// for low memory (every generation collected and compacted, the young
// generation shrunk, bytecode of functions not run lately dropped) and the
// malloc heap's free pages. A full collection alone halves the young
// generation at best and leaves the freed malloc pages mapped.
import { native } from '../native.js';

/**
 * Collects and compacts the whole heap as V8 does under memory pressure,
 * then returns free malloc memory to the system. Synchronous, and costs a
 * few full collections: call it when the process has nothing else to do.
 */
export function releaseMemory(): void {
  native.releaseMemory();
}
