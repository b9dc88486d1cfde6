import { describe, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/ftp');

describe('examples/ftp is pure', () => {
  test('it imports only its own files, node:path and the library\'s error builders: no addon, no I/O module', () => {
    const files = fs.readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      const source = fs.readFileSync(path.join(dir, name), 'utf8');
      const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+'([^']+)'/gm)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect(specifier === 'node:path' || specifier === 'privsep/errors' || /^\.\/[\w-]+\.js$/.test(specifier!), `${name} imports ${specifier}`).toBe(true);
      }
      expect(source, `${name} uses require or dynamic import`).not.toMatch(/\brequire\(|\bimport\(/);
    }
  });
});
