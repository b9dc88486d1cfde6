// Bundles miniftp's user worker (dist/examples/miniftp/worker/worker-main.js,
// with the library parts it uses) into one file, dist/bundles/miniftp-worker-main.cjs,
// after tsc. One process per user keeps its JavaScript in memory: one file
// without unused modules, module records and their sources costs ~1.8 MiB
// less per worker than ~100 ES modules. The bundle is CommonJS: Node loads a
// CommonJS main file with a synchronous read, where its ES module loader
// reads on the libuv pool, whose four threads would then start before the
// worker drops its credentials (four more threads to change and check) and
// would stay with their stacks and malloc arenas (~0.4 MiB per worker).
// The bundle lies two levels below the package root, as dist/src/native.js
// does, so that it finds the addon the same way. Next to it,
// miniftp-worker-main.inputs.json lists the files it was made from with
// their mtimes: the master uses the bundle only while none of them changed
// since (a later `tsc` alone falls back to the modules).
// Beside them: miniftp-worker-loader.cjs, the file a worker runs, which
// compiles the bundle with miniftp-worker-main.code-cache, V8's code cache of
// the bundle made here by scripts/worker-code-cache.mjs under the workers'
// V8 flags (see examples/miniftp/worker/bundle-loader.ts).
// Without esbuild (a dev dependency of vitest) there is no bundle, and the
// workers run the modules.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'examples', 'miniftp', 'worker', 'worker-main.js');
const { BUNDLE_FILE, LOADER_FILE, codeCachePath } = await import(path.join(root, 'dist', 'examples', 'miniftp', 'worker', 'bundle-loader.js'));
const outDir = path.join(root, 'dist', 'bundles');
const outfile = path.join(outDir, BUNDLE_FILE);
const inputsFile = path.join(outDir, 'miniftp-worker-main.inputs.json');
const loaderEntry = path.join(root, 'dist', 'examples', 'miniftp', 'worker', 'loader-main.js');
const loaderFile = path.join(outDir, LOADER_FILE);
const codeCacheFile = codeCachePath(outfile);

for (const file of [outfile, loaderFile, codeCacheFile]) fs.rmSync(file, { force: true });
// An ES module bundle an earlier build made.
fs.rmSync(path.join(outDir, 'miniftp-worker-main.js'), { force: true });
fs.rmSync(inputsFile, { force: true });

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('bundle-workers: no esbuild; miniftp workers run from dist/examples (more memory per user)');
  process.exit(0);
}

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', tsconfigRaw: {}, metafile: true, logLevel: 'warning' };
const loader = await esbuild.build({ ...common, entryPoints: [loaderEntry], outfile: loaderFile, banner: { js: "'use strict';" } });
const result = await esbuild.build({
  ...common,
  entryPoints: [entry],
  outfile,
  // Strict, as the modules are; import.meta.url (dist/src/native.js finds
  // the addon from it) is the bundle's own URL.
  banner: { js: "'use strict';\nconst bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': 'bundleUrl' },
  // The library as built (dist), not its TypeScript sources.
  alias: { privsep: path.join(root, 'dist', 'src', 'index.js'), 'privsep/errors': path.join(root, 'dist', 'src', 'errors.js') },
});
const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(loader.metafile.inputs)])].map((file) => {
  const full = path.resolve(root, file);
  return { file: path.relative(outDir, full), mtimeMs: fs.statSync(full).mtimeMs };
});
fs.writeFileSync(inputsFile, JSON.stringify(inputs));
console.log(`bundle-workers: ${path.relative(root, outfile)} from ${inputs.length} modules`);

// The code cache, made under the flags the master gives its workers (V8
// refuses a cache made under others). Without it the workers compile the
// bundle from source: slower to start, nothing else.
const { WORKER_V8_FLAGS, WORKER_NODE_FLAGS } = await import(path.join(root, 'dist', 'examples', 'miniftp', 'master', 'worker-process.js'));
try {
  execFileSync(process.execPath, [...WORKER_V8_FLAGS, ...WORKER_NODE_FLAGS, path.join(root, 'scripts', 'worker-code-cache.mjs'), outfile], { stdio: 'inherit', timeout: 60_000 });
  console.log(`bundle-workers: ${path.relative(root, codeCacheFile)}, ${fs.statSync(codeCacheFile).size} bytes`);
} catch (err) {
  console.log(`bundle-workers: no code cache (${err.message}); the workers compile the bundle at start`);
}
