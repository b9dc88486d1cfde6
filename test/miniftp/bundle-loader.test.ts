// The worker bundle's loader: a code cache is used only when it was made from
// that very bundle and V8 takes it; otherwise the bundle is compiled from
// source and runs as it is now. Each compile runs in a process of its own,
// since V8 answers a second compile of the same source in one process from
// its own in-memory cache, without looking at the code cache at all.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { codeCachePath } from '../../examples/miniftp/worker/bundle-loader.js';
import { WORKER_NODE_FLAGS, WORKER_V8_FLAGS } from '../../examples/miniftp/master/worker-process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const loaderModule = path.join(root, 'dist', 'examples', 'miniftp', 'worker', 'bundle-loader.js');
const builtBundle = path.join(root, 'dist', 'bundles', 'miniftp-worker-main.cjs');

// In a fresh process: compiles `bundle` (with its cache unless `make`), runs
// it and prints its answer and the cache's outcome; with `make`, writes the cache.
const SCRIPT = `
const { compileBundle, codeCachePath } = await import(process.argv[1]);
const [bundle, mode] = process.argv.slice(2);
const compiled = compileBundle(bundle, mode !== 'make');
const answer = mode === 'compile-only' ? null : compiled.run().answer();
if (mode === 'make') (await import('node:fs')).writeFileSync(codeCachePath(bundle), compiled.makeCodeCache());
console.log(JSON.stringify({ cache: compiled.cache, answer }));
`;

function load(bundle: string, mode: 'make' | 'use' | 'compile-only', flags: readonly string[] = []): { cache: string; answer: string | null } {
  return JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', SCRIPT, loaderModule, bundle, mode], { encoding: 'utf8', env: { PATH: process.env.PATH } }));
}

// A CommonJS bundle with a function compiled only when it runs (lazily).
const bundleText = (word: string) => `'use strict';
const path = require('node:path');
exports.answer = function answer() { return [path.basename(__filename), path.basename(__dirname), this === exports, '${word}'].join(' '); };
`;

describe('the worker bundle loader', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  function bundleWithCache(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-loader-'));
    dirs.push(dir);
    const bundle = path.join(dir, 'w.cjs');
    fs.writeFileSync(bundle, bundleText('first'));
    expect(load(bundle, 'make')).toEqual({ cache: 'unused', answer: `w.cjs ${path.basename(dir)} true first` });
    return bundle;
  }

  it('puts the cache beside the bundle', () => {
    expect(codeCachePath('/x/y/miniftp-worker-main.cjs')).toBe('/x/y/miniftp-worker-main.code-cache');
  });

  it('runs the bundle as CommonJS with the cache V8 takes', () => {
    const bundle = bundleWithCache();
    expect(fs.statSync(codeCachePath(bundle)).size).toBeGreaterThan(32);
    expect(load(bundle, 'use')).toEqual({ cache: 'accepted', answer: `w.cjs ${path.basename(path.dirname(bundle))} true first` });
  });

  it('compiles from source a bundle changed since its cache, even at the same length', () => {
    const bundle = bundleWithCache();
    fs.writeFileSync(bundle, bundleText('later'));
    expect(load(bundle, 'use')).toEqual({ cache: 'stale', answer: expect.stringMatching(/ later$/) });
  });

  it('compiles from source when V8 refuses the cache, or it is cut short, absent or unreadable', () => {
    const bundle = bundleWithCache();
    const cache = fs.readFileSync(codeCachePath(bundle));
    // V8's part starts after the 32-byte digest with its magic number and version hash.
    const damaged = Buffer.from(cache);
    for (let i = 32; i < 40; i++) damaged[i] ^= 0xff;
    fs.writeFileSync(codeCachePath(bundle), damaged);
    expect(load(bundle, 'use')).toEqual({ cache: 'rejected', answer: expect.stringMatching(/ first$/) });
    fs.writeFileSync(codeCachePath(bundle), cache.subarray(0, 20));
    expect(load(bundle, 'use')).toEqual({ cache: 'stale', answer: expect.stringMatching(/ first$/) });
    fs.rmSync(codeCachePath(bundle));
    expect(load(bundle, 'use')).toEqual({ cache: 'absent', answer: expect.stringMatching(/ first$/) });
    fs.mkdirSync(codeCachePath(bundle));
    expect(load(bundle, 'use')).toEqual({ cache: 'unreadable', answer: expect.stringMatching(/ first$/) });
  });

  it('refuses a cache made under other V8 flags than the compile\'s', () => {
    const bundle = bundleWithCache();
    expect(load(bundle, 'use', ['--max-semi-space-size=1'])).toEqual({ cache: 'rejected', answer: expect.stringMatching(/ first$/) });
  });

  it.skipIf(!fs.existsSync(codeCachePath(builtBundle)))('takes the build\'s cache of the worker bundle under the workers\' flags', () => {
    expect(load(builtBundle, 'compile-only', [...WORKER_V8_FLAGS, ...WORKER_NODE_FLAGS]).cache).toBe('accepted');
  });
});
