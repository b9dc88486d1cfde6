// How a worker process runs its one-file bundle: compiled with the V8 code
// cache the build made of it, so that a new worker deserializes the bytecode
// of what it runs first instead of parsing and compiling 0.3 MB of
// JavaScript (about a fifth of a spare's start-up CPU). The cache lies
// beside the bundle and is as trusted as the bundle: the build writes both,
// and a worker reads both as root before it drops. It starts with the
// SHA-256 of the bundle it was made from, since V8 itself checks only its
// version, its flags and the source's length: a changed bundle of the same
// length must not run stale bytecode. A cache that fails either check is
// not used, and the worker compiles the bundle from source.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/**
 * What became of a bundle's code cache: used; made from another bundle
 * (stale); refused by V8 (rejected: another Node or other V8 flags than the
 * build's); there but not readable (unreadable: EACCES, EISDIR, EIO...);
 * none beside the bundle (absent), or not looked for (unused).
 */
export type CodeCacheOutcome = 'accepted' | 'stale' | 'rejected' | 'unreadable' | 'absent' | 'unused';

/** A compiled bundle, not yet run. */
export interface CompiledBundle {
  readonly cache: CodeCacheOutcome;
  /** Runs the bundle as Node runs a CommonJS file; answers its exports. */
  run(): Record<string, unknown>;
  /** The bundle's code cache as codeCachePath holds it, with every function compiled so far. */
  makeCodeCache(): Buffer;
}

const DIGEST_BYTES = 32;

/** The worker bundle's file name, and its loader's (the file a worker runs), both in dist/bundles. */
export const BUNDLE_FILE = 'miniftp-worker-main.cjs';
export const LOADER_FILE = 'miniftp-worker-loader.cjs';

/** The code cache of `bundle` (`x.cjs`): `x.code-cache` beside it. */
export function codeCachePath(bundle: string): string {
  return path.join(path.dirname(bundle), `${path.basename(bundle, '.cjs')}.code-cache`);
}

// Node's CommonJS wrapper; the cache is made of this text, so it never changes.
function wrapped(source: Buffer): string {
  return `(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`;
}

/**
 * Compiles `bundle` (a CommonJS file), with its code cache when `useCache`
 * and the cache is that bundle's and V8 takes it.
 * @throws the bundle's read errors (ENOENT, EACCES, ...); a SyntaxError
 */
export function compileBundle(bundle: string, useCache = true): CompiledBundle {
  const source = fs.readFileSync(bundle);
  const digest = crypto.createHash('sha256').update(source).digest();
  let cache: CodeCacheOutcome = useCache ? 'absent' : 'unused';
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      const file = fs.readFileSync(codeCachePath(bundle));
      if (file.length > DIGEST_BYTES && file.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = file.subarray(DIGEST_BYTES);
      else cache = 'stale';
    } catch (err) {
      // The worker runs all the same, compiled from source.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') cache = 'unreadable';
    }
  }
  const script = new vm.Script(wrapped(source), { filename: bundle, cachedData });
  if (cachedData) cache = script.cachedDataRejected ? 'rejected' : 'accepted';
  return {
    cache,
    run() {
      const module = { exports: {} as Record<string, unknown> };
      const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
      wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
      return module.exports;
    },
    makeCodeCache: () => Buffer.concat([digest, script.createCachedData()]),
  };
}
