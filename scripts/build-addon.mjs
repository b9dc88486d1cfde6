// Builds the native addon with node-gyp against the headers of the running
// Node, so that no header download is ever needed (node-gyp would otherwise
// try to fetch them). Set PRIVSEP_WERROR=1 to turn warnings into errors.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

function nodeGypCommand() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    const npmDir = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
    const bundled = path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return [process.execPath, bundled];
    return ['node-gyp'];
  }
}

const args = [];
const localHeaders = path.resolve(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
if (existsSync(localHeaders)) args.push(`--nodedir=${path.resolve(path.dirname(process.execPath), '..')}`);
const configured = existsSync(path.join(root, 'build', 'Makefile'));
const rebuild = !configured || process.env.PRIVSEP_REBUILD === '1';
// gyp variables only mean something when the build is configured.
if (rebuild && process.env.PRIVSEP_WERROR === '1') args.push('--', '-Dwerror=1');
const steps = rebuild ? [['rebuild']] : [['build']];
const [cmd, ...pre] = nodeGypCommand();
for (const step of steps) {
  const result = spawnSync(cmd, [...pre, ...step, '-j', '2', ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`privsep: building the native addon failed (node-gyp ${step.join(' ')})`);
    process.exit(result.status ?? 1);
  }
}
