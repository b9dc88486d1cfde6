// Every command of the package, run as a user would: --help and --version
// print to stdout and exit 0; an unknown option names itself and exits 2.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

function run(bin: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(root, pkg.bin[bin]!), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(Object.keys(pkg.bin))('%s', (bin) => {
  it('--help prints a usage text on stdout', () => {
    const { status, stdout } = run(bin, '--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: ${bin}`));
  });

  it('--version prints the package version', () => {
    const { status, stdout } = run(bin, '--version');
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(`privsep ${pkg.version}`);
  });

  it('an unknown option is named, with exit status 2', () => {
    const { status, stderr } = run(bin, '--no-such-option');
    expect(status).toBe(2);
    expect(stderr).toContain('--no-such-option');
  });
});
