// Which file a worker runs: the loader of the one-file bundle of the worker
// (scripts/bundle-workers.mjs, about 3 MiB less per worker than the modules,
// measured with bench:ftp users; the loader compiles the bundle with its code
// cache) while every file they were made from is as it was then; else, or
// without a bundle, the worker's modules. Decided once, when the master starts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, LOADER_FILE } from '../worker/bundle-loader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesMain = path.join(here, '..', 'worker', 'worker-main.js');
const bundles = path.join(here, '..', '..', '..', 'bundles');
const bundle = path.join(bundles, BUNDLE_FILE);
const loader = path.join(bundles, LOADER_FILE);
const bundleInputs = path.join(bundles, 'miniftp-worker-main.inputs.json');

/**
 * Whether `bundle` exists and every file `inputsFile` lists (paths relative
 * to the bundle's directory, with their mtimes) still has its mtime.
 */
export function bundleIsCurrent(bundle: string, inputsFile: string): boolean {
  try {
    const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8')) as Array<{ file: string; mtimeMs: number }>;
    return fs.existsSync(bundle) && inputs.length > 0
      && inputs.every(({ file, mtimeMs }) => fs.statSync(path.resolve(path.dirname(bundle), file)).mtimeMs === mtimeMs);
  } catch {
    return false;
  }
}

/** False when the bundle is missing or older than the files it was made from (say, after a `tsc` alone). */
export const workerBundled = bundleIsCurrent(bundle, bundleInputs) && fs.existsSync(loader);

export const workerMain = workerBundled ? loader : modulesMain;
