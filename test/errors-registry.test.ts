// The library's ERR_PRIVSEP_* codes are declared once (ERROR_CODES): every
// code the sources use is declared, docs/errors.md lists each with its class
// and meaning, and the builders give Node's shapes and messages.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES, abortError, errnoError, invalidArgValue } from '../src/errors.js';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|cc|h|c)$/.test(name))
    .map((name) => fs.readFileSync(path.join(root, dir, name), 'utf8'));
}

describe('the registry of ERR_PRIVSEP_* codes', () => {
  test('every code the library, the addon and the applications use is declared', () => {
    const used = new Set<string>();
    for (const text of [...sources('src'), ...sources('native'), ...sources('examples')]) {
      for (const [code] of text.matchAll(/ERR_PRIVSEP_[A-Z_]+/g)) used.add(code);
    }
    expect(used.size).toBeGreaterThan(8);
    for (const code of used) expect(Object.keys(ERROR_CODES), code).toContain(code);
  });

  test('docs/errors.md lists every code with its class and meaning, and no other', () => {
    const page = fs.readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
    const rows = page.split('\n').filter((line) => line.startsWith('| `ERR_PRIVSEP_'));
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.class} | ${e.meaning} |`));
  });
});

describe('the builders', () => {
  test('errnoError takes a name or a negative errno and words the message as Node does', () => {
    expect(errnoError('ENOENT', 'open', { path: '/x' })).toMatchObject({
      message: "ENOENT: no such file or directory, open '/x'", code: 'ENOENT', errno: -2, syscall: 'open', path: '/x',
    });
    expect(errnoError(-5, 'splice')).toMatchObject({ message: 'EIO: i/o error, splice', code: 'EIO', errno: -5 });
    expect(errnoError('ECONNREFUSED', 'connect', { address: '127.0.0.1', port: 21 })).toMatchObject({
      message: 'connect ECONNREFUSED 127.0.0.1:21', code: 'ECONNREFUSED', errno: -111, address: '127.0.0.1', port: 21,
    });
    expect(errnoError('EXDEV', 'rename', { path: '/a', dest: '/b' }).message).toBe("EXDEV: cross-device link not permitted, rename '/a' -> '/b'");
  });

  test('abortError is Node\'s AbortError, with the reason as cause', () => {
    const reason = new Error('stop');
    expect(abortError(reason)).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted', cause: reason });
  });

  test('invalidArgValue cuts a long value as Node does', () => {
    const err = invalidArgValue('line', 'x'.repeat(10_000), 'is too long');
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    expect(err.message.length).toBeLessThan(200);
  });
});
