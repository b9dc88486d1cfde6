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
// Without esbuild (a dev dependency of vitest) there is no bundle, and the
// workers run the modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'examples', 'miniftp', 'worker', 'worker-main.js');
const outDir = path.join(root, 'dist', 'bundles');
const outfile = path.join(outDir, 'miniftp-worker-main.cjs');
const inputsFile = path.join(outDir, 'miniftp-worker-main.inputs.json');

fs.rmSync(outfile, { force: true });
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

const result = await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  // Strict, as the modules are; import.meta.url (dist/src/native.js finds
  // the addon from it) is the bundle's own URL.
  banner: { js: "'use strict';\nconst bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': 'bundleUrl' },
  // The library as built (dist), not its TypeScript sources.
  alias: { privsep: path.join(root, 'dist', 'src', 'index.js'), 'privsep/errors': path.join(root, 'dist', 'src', 'errors.js') },
  tsconfigRaw: {},
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).map((file) => {
  const full = path.resolve(root, file);
  return { file: path.relative(outDir, full), mtimeMs: fs.statSync(full).mtimeMs };
});
fs.writeFileSync(inputsFile, JSON.stringify(inputs));
console.log(`bundle-workers: ${path.relative(root, outfile)} from ${inputs.length} modules`);
