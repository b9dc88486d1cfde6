// Which file the workers run: the build's one-file bundle only while every
// file it was made from is unchanged, else the worker's modules.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleIsCurrent } from '../../examples/miniftp/master/worker-script.js';

describe('the worker bundle', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  // A bundle made from two modules, with its list of inputs as the build writes it.
  function madeBundle(): { bundle: string; inputs: string; module: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-bundle-'));
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'bundles'));
    fs.mkdirSync(path.join(dir, 'src'));
    const modules = ['src/a.js', 'src/b.js'].map((name) => path.join(dir, name));
    for (const file of modules) fs.writeFileSync(file, 'export {};\n');
    const bundle = path.join(dir, 'bundles', 'worker.js');
    fs.writeFileSync(bundle, '// bundle\n');
    const inputs = path.join(dir, 'bundles', 'worker.inputs.json');
    fs.writeFileSync(inputs, JSON.stringify(modules.map((file) => ({ file: path.relative(path.dirname(bundle), file), mtimeMs: fs.statSync(file).mtimeMs }))));
    return { bundle, inputs, module: modules[1]! };
  }

  it('is used while its inputs are as they were', () => {
    const { bundle, inputs } = madeBundle();
    expect(bundleIsCurrent(bundle, inputs)).toBe(true);
  });

  it('is not used once one of its modules was written again (a tsc without the bundle step)', () => {
    const { bundle, inputs, module } = madeBundle();
    const later = new Date(fs.statSync(module).mtimeMs + 5000);
    fs.utimesSync(module, later, later);
    expect(bundleIsCurrent(bundle, inputs)).toBe(false);
  });

  it('is not used when a module, the bundle or its list is missing or the list is not JSON', () => {
    const made = madeBundle();
    fs.rmSync(made.module);
    expect(bundleIsCurrent(made.bundle, made.inputs)).toBe(false);
    const again = madeBundle();
    fs.rmSync(again.bundle);
    expect(bundleIsCurrent(again.bundle, again.inputs)).toBe(false);
    const third = madeBundle();
    fs.writeFileSync(third.inputs, '[');
    expect(bundleIsCurrent(third.bundle, third.inputs)).toBe(false);
    expect(bundleIsCurrent(third.bundle, path.join(path.dirname(third.inputs), 'none.json'))).toBe(false);
  });
});
