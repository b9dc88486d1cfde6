// ftpfs end to end, as root: our own FTP server on 127.0.0.1 (each kind in
// test/helpers/ftp-servers.ts: vsftpd now), the ftpfs command mounting it
// through fusermount3, and coreutils on the mount: listings,
// stat, cat, cp in and out, mv, rm, mkdir, rmdir, a tree with diff -r, 100 MiB
// with sha256 both ways, the cache serving a second reader, unmounting
// every way, and a server that dies (EIO, not a hang).
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverKinds, type FtpTestServer } from '../helpers/ftp-servers.js';
import { waitFor } from '../helpers/process.js';
import { fuseUnavailable, isMounted, unmountFuse } from '../helpers/mounts.js';
import { cleanUpMounts, expectCleanEnd, fails, ftpfsScript, mountFtpfs as mountOn, run, type MountedFtpfs as Mounted } from '../helpers/ftpfs-mount.js';
import { scratchDir } from '../helpers/scratch.js';

const execFileAsync = promisify(execFile);
const scratch = scratchDir('privsep-ftpfs-');
const mounts: Mounted[] = [];
const mountFtpfs = (server: FtpTestServer, args: string[] = []): Promise<Mounted> => mountOn(server, scratch.path, mounts, args);
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

for (const kind of serverKinds) {
  const why = kind.unavailable() ?? fuseUnavailable();
  if (why) console.log(`skipping ftpfs integration with ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`ftpfs: ${kind.name} mounted through FUSE, driven by coreutils`, () => {
    let server: FtpTestServer;
    let m: Mounted;
    let mnt: string;
    let local: string;

    beforeAll(async () => {
      server = await kind.start();
      local = fs.mkdtempSync(path.join(scratch.path, 'local-'));
      fs.mkdirSync(path.join(server.root, 'docs'));
      fs.writeFileSync(path.join(server.root, 'docs', 'hello.txt'), 'hello, ftpfs!\n');
      fs.writeFileSync(path.join(server.root, 'big.bin'), crypto.randomBytes(100 * 1024 * 1024));
      fs.symlinkSync('docs/hello.txt', path.join(server.root, 'link-file'));
      fs.symlinkSync('docs', path.join(server.root, 'link-dir'));
      fs.symlinkSync('/nowhere', path.join(server.root, 'broken-link'));
      server.own('.');
      m = await mountFtpfs(server, ['--dir-ttl', '1']);
      mnt = m.mountpoint;
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('mounts as fuse.ftpfs', () => {
      const line = fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === mnt);
      expect(line).toMatch(new RegExp(`^ftp://${server.user}@127\\.0\\.0\\.1:${server.port}/ \\S+ fuse\\.ftpfs rw,`));
    });

    it('ls -la, stat and cat show what the server has', async () => {
      const listing = await run('ls', ['-la', mnt]);
      expect(listing).toMatch(/^d.* \.\n/m);
      expect(listing).toMatch(/^drwxr-xr-x .* docs\n/m);
      expect(listing).toMatch(/^-rw-r--r-- .* 104857600 .* big\.bin\n/m);
      expect(await run('stat', ['-c', '%s %a %F', path.join(mnt, 'docs', 'hello.txt')])).toBe('14 644 regular file\n');
      expect(await run('stat', ['-c', '%F', path.join(mnt, 'docs')])).toBe('directory\n');
      expect(await run('cat', [path.join(mnt, 'docs', 'hello.txt')])).toBe('hello, ftpfs!\n');
      expect(await fails('cat', [path.join(mnt, 'missing')])).toMatch(/No such file or directory/);
      expect(await fails('stat', [path.join(mnt, 'docs', 'missing')])).toMatch(/No such file or directory/);
    });

    it('cp in and out, mv, rm, mkdir, rmdir', async () => {
      fs.writeFileSync(path.join(local, 'in.txt'), 'copied in\n');
      await run('mkdir', [path.join(mnt, 'work')]);
      expect(fs.statSync(path.join(server.root, 'work')).isDirectory()).toBe(true);
      await run('cp', [path.join(local, 'in.txt'), path.join(mnt, 'work', 'in.txt')]);
      expect(fs.readFileSync(path.join(server.root, 'work', 'in.txt'), 'utf8')).toBe('copied in\n');
      await run('cp', [path.join(mnt, 'work', 'in.txt'), path.join(local, 'out.txt')]);
      expect(fs.readFileSync(path.join(local, 'out.txt'), 'utf8')).toBe('copied in\n');
      await run('mv', [path.join(mnt, 'work', 'in.txt'), path.join(mnt, 'docs', 'moved.txt')]);
      expect(fs.existsSync(path.join(server.root, 'work', 'in.txt'))).toBe(false);
      expect(fs.readFileSync(path.join(server.root, 'docs', 'moved.txt'), 'utf8')).toBe('copied in\n');
      expect(await run('cat', [path.join(mnt, 'docs', 'moved.txt')])).toBe('copied in\n');
      expect(await run('ls', [path.join(mnt, 'work')])).toBe('');
      await run('mv', [path.join(mnt, 'work'), path.join(mnt, 'work2')]);
      expect(fs.existsSync(path.join(server.root, 'work2'))).toBe(true);
      expect(await fails('rmdir', [path.join(mnt, 'docs')])).toMatch(/Directory not empty/);
      await run('rmdir', [path.join(mnt, 'work2')]);
      expect(fs.existsSync(path.join(server.root, 'work2'))).toBe(false);
      await run('rm', [path.join(mnt, 'docs', 'moved.txt')]);
      expect(fs.existsSync(path.join(server.root, 'docs', 'moved.txt'))).toBe(false);
      expect(await fails('rm', [path.join(mnt, 'docs', 'moved.txt')])).toMatch(/No such file or directory/);
      expect(await fails('mkdir', [path.join(mnt, 'docs')])).toMatch(/File exists/);
    });

    it('overwrites, appends, truncates and touches files', async () => {
      const file = path.join(mnt, 'edit.txt');
      await run('sh', ['-c', `printf 'first\\n' > '${file}'`]);
      await run('sh', ['-c', `printf 'second\\n' >> '${file}'`]);
      expect(fs.readFileSync(path.join(server.root, 'edit.txt'), 'utf8')).toBe('first\nsecond\n');
      await run('sh', ['-c', `printf 'new\\n' > '${file}'`]);
      expect(fs.readFileSync(path.join(server.root, 'edit.txt'), 'utf8')).toBe('new\n');
      await run('truncate', ['-s', '2', file]);
      expect(fs.readFileSync(path.join(server.root, 'edit.txt'), 'utf8')).toBe('ne');
      await run('touch', [path.join(mnt, 'empty.txt')]);
      expect(fs.statSync(path.join(server.root, 'empty.txt')).size).toBe(0);
      // With MFMT the time is stored; without it (vsftpd) it is accepted and not stored.
      await run('touch', ['-d', '2001-02-03 04:05:06', file]);
      expect(await run('cat', [file])).toBe('ne');
    });

    it('chmod (SITE CHMOD), sed -i, tar x and cp -p keep the modes on the server', async () => {
      await run('sh', ['-c', `printf 'alpha\\nbeta\\n' > '${mnt}/s.txt'`]);
      await run('chmod', ['600', path.join(mnt, 's.txt')]);
      expect(fs.statSync(path.join(server.root, 's.txt')).mode & 0o777).toBe(0o600);
      // sed -i writes a temporary file (mkstemp: 0600), fchmods it and renames it over the original.
      await run('sed', ['-i', 's/beta/gamma/', path.join(mnt, 's.txt')]);
      expect(fs.readFileSync(path.join(server.root, 's.txt'), 'utf8')).toBe('alpha\ngamma\n');
      expect(fs.statSync(path.join(server.root, 's.txt')).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(server.root).filter((n) => n.startsWith('sed'))).toEqual([]);
      const src = path.join(local, 'modes');
      fs.mkdirSync(path.join(src, 'bin'), { recursive: true });
      fs.writeFileSync(path.join(src, 'bin', 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(path.join(src, 'secret'), 'x', { mode: 0o600 });
      await run('tar', ['-C', local, '-cf', path.join(local, 'modes.tar'), 'modes']);
      await run('tar', ['-C', mnt, '-xf', path.join(local, 'modes.tar')]);
      expect(fs.statSync(path.join(server.root, 'modes', 'bin', 'tool.sh')).mode & 0o777).toBe(0o755);
      expect(fs.statSync(path.join(server.root, 'modes', 'secret')).mode & 0o777).toBe(0o600);
      await run('cp', ['-p', path.join(src, 'bin', 'tool.sh'), path.join(mnt, 'tool.sh')]);
      expect(fs.statSync(path.join(server.root, 'tool.sh')).mode & 0o777).toBe(0o755);
      expect(await run('stat', ['-c', '%a', path.join(mnt, 'tool.sh')])).toBe('755\n');
    });

    it('symbolic links on the server show as what they point to; a dangling one not at all', async () => {
      expect(await run('cat', [path.join(mnt, 'link-file')])).toBe('hello, ftpfs!\n');
      expect(await run('stat', ['-c', '%F %s', path.join(mnt, 'link-file')])).toBe('regular file 14\n');
      expect(await run('ls', [path.join(mnt, 'link-dir')])).toMatch(/hello\.txt/);
      const names = (await run('ls', ['-a', mnt])).split('\n');
      expect(names).toContain('link-dir');
      expect(names).not.toContain('broken-link');
      expect(await fails('stat', [path.join(mnt, 'broken-link')])).toMatch(/No such file or directory/);
    });

    it('copies a tree in with cp -r, and diff -r finds it equal through the mount and on the server', async () => {
      const tree = path.join(local, 'tree');
      for (const dir of ['a', 'a/b', 'a/b/c', 'd e']) fs.mkdirSync(path.join(tree, dir), { recursive: true });
      const files = ['top.txt', '.dotfile', 'a/one.bin', 'a/b/two.txt', 'a/b/c/three.bin', 'd e/f g.txt'];
      for (const [i, name] of files.entries()) fs.writeFileSync(path.join(tree, name), crypto.randomBytes(1000 * (i + 1) * (i + 1)));
      fs.writeFileSync(path.join(tree, 'a', 'empty'), '');
      await run('cp', ['-r', tree, path.join(mnt, 'tree')]);
      await run('diff', ['-r', tree, path.join(mnt, 'tree')]);
      await run('diff', ['-r', tree, path.join(server.root, 'tree')]);
      const back = path.join(local, 'tree-back');
      await run('cp', ['-r', path.join(mnt, 'tree'), back]);
      await run('diff', ['-r', tree, back]);
      await run('rm', ['-r', path.join(mnt, 'tree')]);
      expect(fs.existsSync(path.join(server.root, 'tree'))).toBe(false);
    });

    it('100 MiB through the mount: sha256 matches both ways', async () => {
      const source = path.join(local, 'upload.bin');
      fs.writeFileSync(source, crypto.randomBytes(100 * 1024 * 1024));
      await run('cp', [source, path.join(mnt, 'upload.bin')]);
      expect(sha256(path.join(server.root, 'upload.bin'))).toBe(sha256(source));
      const [sum] = (await run('sha256sum', [path.join(mnt, 'big.bin')])).split(' ');
      expect(sum).toBe(sha256(path.join(server.root, 'big.bin')));
    });

    it('a second reader gets the cached copy: one RETR', async () => {
      fs.writeFileSync(path.join(server.root, 'docs', 'twice.txt'), 'read me twice\n');
      server.own('docs/twice.txt');
      await new Promise((r) => setTimeout(r, 1100)); // the listing of docs is fresh for 1 s
      const before = server.commands('RETR').filter((a) => a === '/docs/twice.txt').length;
      expect(before).toBe(0);
      expect(await run('cat', [path.join(mnt, 'docs', 'twice.txt')])).toBe('read me twice\n');
      expect(await run('cat', [path.join(mnt, 'docs', 'twice.txt')])).toBe('read me twice\n');
      await run('cp', [path.join(mnt, 'docs', 'twice.txt'), path.join(local, 'twice.txt')]);
      await waitFor(() => server.commands('RETR').some((a) => a === '/docs/twice.txt'), 5000, 'the RETR in the log').catch(() => {});
      expect(server.commands('RETR').filter((a) => a === '/docs/twice.txt')).toHaveLength(1);
      // A file changed on the server is fetched again once the listing shows it.
      fs.writeFileSync(path.join(server.root, 'docs', 'twice.txt'), 'changed on the server\n');
      await new Promise((r) => setTimeout(r, 1100));
      expect(await run('cat', [path.join(mnt, 'docs', 'twice.txt')])).toBe('changed on the server\n');
      // A server that logs a transfer when it ends may write the line just after the client has its bytes.
      await waitFor(() => server.commands('RETR').filter((a) => a === '/docs/twice.txt').length >= 2, 5000, 'the second RETR in the log').catch(() => {});
      expect(server.commands('RETR').filter((a) => a === '/docs/twice.txt')).toHaveLength(2);
    });

    it('df and stat -f answer', async () => {
      expect(await run('stat', ['-f', '-c', '%l', mnt])).toBe('255\n');
      expect(await run('df', [mnt])).toMatch(/ftp:\/\//);
    });

    it('fusermount3 -u unmounts; ftpfs exits and leaves no process, mount or cache', async () => {
      await unmountFuse(mnt);
      await expectCleanEnd(m);
      expect(m.stderr()).toMatch(/unmounted/);
    });
  });

  describe.skipIf(why !== null)(`ftpfs on ${kind.name}: unmounting by signal, read-only mounts, a server that dies`, () => {
    let server: FtpTestServer;

    beforeAll(async () => {
      server = await kind.start();
      fs.writeFileSync(path.join(server.root, 'file.txt'), 'content\n');
      fs.mkdirSync(path.join(server.root, 'dir'));
      fs.writeFileSync(path.join(server.root, 'dir', 'inner.txt'), 'inner\n');
      server.own('.');
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('SIGTERM unmounts cleanly', async () => {
      const m = await mountFtpfs(server);
      expect(await run('cat', [path.join(m.mountpoint, 'file.txt')])).toBe('content\n');
      m.child.kill('SIGTERM');
      await expectCleanEnd(m);
    });

    it('SIGINT unmounts cleanly', async () => {
      const m = await mountFtpfs(server);
      m.child.kill('SIGINT');
      await expectCleanEnd(m);
    });

    it('--read-only refuses writes with EROFS', async () => {
      const m = await mountFtpfs(server, ['--read-only']);
      expect(fs.readFileSync('/proc/mounts', 'utf8')).toMatch(new RegExp(`${m.mountpoint} fuse\\.ftpfs ro,`));
      expect(await run('cat', [path.join(m.mountpoint, 'file.txt')])).toBe('content\n');
      expect(await fails('sh', ['-c', `echo x > '${m.mountpoint}/new.txt'`])).toMatch(/Read-only file system/);
      expect(await fails('mkdir', [path.join(m.mountpoint, 'newdir')])).toMatch(/Read-only file system/);
      expect(await fails('rm', [path.join(m.mountpoint, 'file.txt')])).toMatch(/Read-only file system/);
      m.child.kill('SIGTERM');
      await expectCleanEnd(m);
    });

    it('--cache-size 0 keeps no copy of a file nobody has open: a second reader downloads again', async () => {
      const m = await mountFtpfs(server, ['--cache-size', '0']);
      const file = path.join(m.mountpoint, 'dir', 'inner.txt');
      const before = server.commands('RETR').filter((a) => a === '/dir/inner.txt').length;
      expect(await run('cat', [file])).toBe('inner\n');
      // The kernel sends RELEASE after close() returns; once it is handled the copy goes.
      const [cacheDir] = fs.readdirSync(m.cacheBase);
      const copies = (): string[] => fs.readdirSync(path.join(m.cacheBase, cacheDir!)).filter((name) => /^\d+$/.test(name));
      await waitFor(() => copies().length === 0, 10_000, 'the copy to be removed');
      expect(await run('cat', [file])).toBe('inner\n');
      await waitFor(() => server.commands('RETR').filter((a) => a === '/dir/inner.txt').length - before >= 2, 5000, 'both RETRs in the log').catch(() => {});
      expect(server.commands('RETR').filter((a) => a === '/dir/inner.txt').length - before).toBe(2);
      m.child.kill('SIGTERM');
      await expectCleanEnd(m);
    });

    it('a bad password fails to mount with a message', async () => {
      const mountpoint = fs.mkdtempSync(path.join(scratch.path, 'mnt-'));
      const result = await execFileAsync(process.execPath, [ftpfsScript, `ftp://${server.user}:wrong@127.0.0.1:${server.port}/`, mountpoint], { timeout: 30_000 })
        .then(() => null, (err: { code?: number; stderr?: string }) => err);
      expect(result).toMatchObject({ code: 1, stderr: expect.stringMatching(/530/) });
      expect(isMounted(mountpoint)).toBe(false);
    });

    it('a server that dies gives EIO, not a hang; unmounting still works', async () => {
      const m = await mountFtpfs(server, ['--dir-ttl', '0', '--timeout', '5']);
      expect(await run('ls', [m.mountpoint])).toBe('dir\nfile.txt\n');
      await server.kill();
      expect(await fails('ls', [path.join(m.mountpoint, 'dir')], 30_000)).toMatch(/Input\/output error/);
      expect(await fails('cat', [path.join(m.mountpoint, 'file.txt')], 30_000)).toMatch(/Input\/output error/);
      await unmountFuse(m.mountpoint);
      await expectCleanEnd(m);
    });
  });
}
