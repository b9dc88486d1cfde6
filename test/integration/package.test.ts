// The package as a dependency: `npm pack`, installed into an empty project
// (its addon built there by the install script), imported from ESM and from
// TypeScript, and every bin run with --help. npm takes node-addon-api from its
// cache (--prefer-offline), which the checkout's own install filled. The pack
// skips `prepare`: the build is done, and a tsc rewriting dist/ would race the
// servers other test files start from it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };

describe('privsep installed from its tarball', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-pack-'));
  const app = path.join(dir, 'app');

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs, imports from ESM and TypeScript, and runs each command', { timeout: 300_000 }, async () => {
    const { stdout } = await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: root, timeout: 120_000 });
    const tarball = path.join(dir, stdout.trim().split('\n').pop()!);
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, timeout: 240_000 });

    fs.writeFileSync(path.join(app, 'probe.mjs'), "import { socketPair } from 'privsep';\nconst [a, b] = socketPair();\nconsole.log(typeof a.fd, typeof b.fd);\na.close(); b.close();\n");
    expect((await run(process.execPath, ['probe.mjs'], { cwd: app })).stdout.trim()).toBe('number number');

    fs.writeFileSync(path.join(app, 'probe.ts'), "import { socketPair, type FdHandle } from 'privsep';\nconst pair: [FdHandle, FdHandle] = socketPair();\nconst n: number = pair[0].fd;\nexport { n };\n");
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')] },
      files: ['probe.ts'],
    }));
    await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, timeout: 120_000 });

    for (const bin of Object.keys(pkg.bin)) {
      const help = await run(path.join(app, 'node_modules', '.bin', bin), ['--help'], { cwd: app, timeout: 30_000 });
      expect(help.stdout).toMatch(new RegExp(`^usage: ${bin}`));
    }
  });
});
