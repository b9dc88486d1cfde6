// SessionFs: client paths resolved in the session's view, and under an
// emulated root every symbolic link checked against the root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionFs } from '../../../examples/miniftp/session/session-fs.js';

describe('SessionFs', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-fs-'));
  const root = path.join(base, 'root');
  const view = { cwd: '/dir', home: '/home' };
  const sfs = new SessionFs(root, view);

  beforeAll(() => {
    fs.mkdirSync(path.join(root, 'dir'), { recursive: true });
    fs.mkdirSync(path.join(root, 'home'));
    fs.writeFileSync(path.join(root, 'dir', 'f'), 'f');
    fs.writeFileSync(path.join(base, 'outside'), 'o');
    fs.symlinkSync('../outside', path.join(root, 'up'));
    fs.symlinkSync('dir/f', path.join(root, 'in'));
    fs.symlinkSync(path.join(base, 'nothing'), path.join(root, 'dangling'));
    fs.symlinkSync(base, path.join(root, 'dir', 'base'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('resolves arguments against the current and home directories', () => {
    expect(sfs.resolve('f')).toBe('/dir/f');
    expect(sfs.resolve('/x/../y')).toBe('/y');
    expect(sfs.resolve('../../../..')).toBe('/');
    expect(sfs.resolve('~')).toBe('/home');
    expect(sfs.resolve('~/a')).toBe('/home/a');
    expect(sfs.resolve('')).toBe('/dir');
  });

  it('follows links that stay inside the root, refuses the others', async () => {
    expect(await sfs.follow('/in')).toBe(fs.realpathSync(path.join(root, 'dir', 'f')));
    await expect(sfs.follow('/up')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(sfs.follow('/dir/base/outside')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(sfs.follow('/dangling')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('entries are not followed; targets of writes are, within the root only', async () => {
    expect(await sfs.entry('/up')).toBe(path.join(fs.realpathSync(root), 'up'));
    await expect(sfs.entry('/dir/base/x')).rejects.toMatchObject({ code: 'EACCES' });
    expect(await sfs.target('/new-file')).toBe(path.join(fs.realpathSync(root), 'new-file'));
    expect(await sfs.target('/in')).toBe(fs.realpathSync(path.join(root, 'dir', 'f')));
    await expect(sfs.target('/up')).rejects.toMatchObject({ code: 'EACCES' });
    await expect(sfs.target('/dangling')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('maps real paths back to the view', async () => {
    expect(await sfs.toView(path.join(fs.realpathSync(root), 'dir'))).toBe('/dir');
    expect(await sfs.toView(base)).toBe(null);
  });

  it('without a root, paths go to the kernel unchanged', async () => {
    const real = new SessionFs(null, { cwd: '/tmp', home: '/' });
    expect(real.resolve('x')).toBe('/tmp/x');
    expect(await real.follow('/etc/../etc/hostname')).toBe('/etc/../etc/hostname');
    expect(await real.target('/anything')).toBe('/anything');
  });
});
