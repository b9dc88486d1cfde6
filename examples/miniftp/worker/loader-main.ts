// A worker process's main file when the build made the worker bundle
// (dist/bundles/miniftp-worker-loader.cjs): runs the bundle beside it,
// compiled with its code cache (bundle-loader.ts), and leaves what became of
// the cache where the worker's stats read it (code-cache-outcome.ts).
import path from 'node:path';
import { BUNDLE_FILE, compileBundle } from './bundle-loader.js';
import { recordCodeCacheOutcome } from './code-cache-outcome.js';

const compiled = compileBundle(path.join(path.dirname(process.argv[1]!), BUNDLE_FILE));
recordCodeCacheOutcome(compiled.cache);
compiled.run();
