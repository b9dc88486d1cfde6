// chroot: the process sees only the new root, its working directory is "/",
// and the library can still read its threads' credentials.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/process.js';
import { killCalls, runCalls } from '../helpers/calls.js';

if (!isRoot) console.log('chroot.test: skipped: chroot needs root (CAP_SYS_CHROOT)');

describe.skipIf(!isRoot)('chroot (root)', () => {
  let root = '';
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-chroot-'));
    fs.writeFileSync(path.join(root, 'inside'), 'x');
  });
  afterAll(() => {
    killCalls();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('changes the root and the working directory of the process', async () => {
    const run = await runCalls([
      ['fillPool'],
      ['chroot', root],
      ['cwd'],
      ['exists', '/etc/passwd'],
      ['exists', '/inside'],
      ['threadCount'],
    ]);
    try {
      expect(run.results.slice(1)).toMatchObject([
        { ok: true },
        { ok: true, value: '/' },
        { ok: true, value: false },
        { ok: true, value: true },
        { ok: true },
      ]);
      expect(run.results[5]!.value).toBe(fs.readdirSync(`/proc/${run.pid}/task`).length);
      expect(fs.readlinkSync(`/proc/${run.pid}/root`)).toBe(root);
      expect(fs.readlinkSync(`/proc/${run.pid}/cwd`)).toBe(root);
    } finally {
      await run.finish();
    }
  });

  it('refuses a relative path and reports a missing directory', async () => {
    const run = await runCalls([
      ['chroot', 'relative'],
      ['chroot', path.join(root, 'missing')],
      ['chroot', path.join(root, 'inside')],
    ]);
    await run.finish();
    expect(run.results).toMatchObject([
      { ok: false, code: 'ERR_INVALID_ARG_VALUE' },
      { ok: false, code: 'ENOENT', syscall: 'chdir' },
      { ok: false, code: 'ENOTDIR', syscall: 'chdir' },
    ]);
  });
});
