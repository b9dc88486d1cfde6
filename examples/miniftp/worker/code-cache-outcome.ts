// What became of the worker bundle's code cache in this process, for the
// worker's stats: the loader (loader-main.ts) and the bundle it runs are two
// scripts, so the outcome passes through one global key. 'none' where no
// loader ran (the worker's modules, or a test's stand-in).
import type { CodeCacheOutcome } from './bundle-loader.js';

const KEY = Symbol.for('miniftp.worker.codeCache');

export function recordCodeCacheOutcome(outcome: CodeCacheOutcome): void {
  (globalThis as Record<symbol, unknown>)[KEY] = outcome;
}

export function codeCacheOutcome(): CodeCacheOutcome | 'none' {
  return ((globalThis as Record<symbol, unknown>)[KEY] as CodeCacheOutcome | undefined) ?? 'none';
}
