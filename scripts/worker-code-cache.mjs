// Makes the code cache of miniftp's worker bundle (the file named on the
// command line), beside it: compiles the bundle, runs it as the build's
// CodeCacheRun (the spare's warm-up alone, no channel, no identity), then
// writes V8's code cache of it, with every function compiled by then.
// scripts/bundle-workers.mjs runs it with the workers' V8 flags.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { codeCachePath, compileBundle } = await import(path.join(root, 'dist', 'examples', 'miniftp', 'worker', 'bundle-loader.js'));

const bundle = process.argv[2];
process.env.MINIFTP_WORKER = JSON.stringify({ kind: 'code-cache' });
const compiled = compileBundle(bundle, false);
await compiled.run().codeCacheWarmUp;
fs.writeFileSync(codeCachePath(bundle), compiled.makeCodeCache());
process.exit(0);
