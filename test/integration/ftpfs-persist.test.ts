// ftpfs keeps its copies in a cache directory per server that outlives the
// mount, through real mounts of vsftpd and miniftp: a file written while the server is
// down is kept, shown as pending, and uploaded once the server is back, by
// this mount or the next one (after an unmount or a SIGKILL); an unchanged
// file is not downloaded again by the next mount; a second mount of the same
// server uses a private directory; an unreadable index is left alone.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type FtpRelay } from '../helpers/ftp-relay.js';
import { serverKinds, type FtpTestServer } from '../helpers/ftp-servers.js';
import { cacheDirs, cleanUpMounts, expectCleanEnd, mountFtpfs, type MountedFtpfs } from '../helpers/ftpfs-mount.js';
import { fuseUnavailable, isMounted, unmountFuse } from '../helpers/mounts.js';
import { waitFor } from '../helpers/process.js';
import { scratchDir } from '../helpers/scratch.js';

const execFileAsync = promisify(execFile);
const scratch = scratchDir('privsep-ftpfs-persist-');
const mounts: MountedFtpfs[] = [];

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

/** The file's user.ftpfs.upload attribute, or 'absent' (ENODATA). */
async function uploadState(file: string): Promise<string> {
  const script = 'import errno, os, sys\ntry:\n  print(os.getxattr(sys.argv[1], "user.ftpfs.upload").decode())\nexcept OSError as e:\n  print("absent" if e.errno == errno.ENODATA else "error %d" % e.errno)';
  const { stdout } = await execFileAsync('python3', ['-c', script, file], { timeout: 30_000 });
  return stdout.trim();
}

async function xattrNames(file: string): Promise<string[]> {
  const { stdout } = await execFileAsync('python3', ['-c', 'import os, sys; print("\\n".join(os.listxattr(sys.argv[1])))', file], { timeout: 30_000 });
  return stdout.split('\n').filter(Boolean);
}

function contentOf(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Writes a file on the mount; resolves to 'ok' or the error code of the close. */
async function writeOnMount(file: string, content: string): Promise<string> {
  try {
    await fs.promises.writeFile(file, content);
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

async function unmount(m: MountedFtpfs): Promise<void> {
  await unmountFuse(m.mountpoint);
}

for (const kind of serverKinds) {
  const why = kind.unavailable() ?? fuseUnavailable();
  if (why) console.log(`skipping ftpfs persistent cache with ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`ftpfs on ${kind.name}: the cache directory outlives the mount`, () => {
    let server: FtpTestServer;
    let relay: FtpRelay;

    beforeAll(async () => {
      server = await kind.start();
      fs.writeFileSync(path.join(server.root, 'same.bin'), Buffer.alloc(256 * 1024, 7));
      fs.writeFileSync(path.join(server.root, 'changing.txt'), 'first version\n');
      server.own('.');
      // Root's directory: the FTP user may read it but not store in it.
      fs.mkdirSync(path.join(server.root, 'locked'), { mode: 0o755 });
      relay = await startRelay(server);
    });

    // A test that failed with the server down leaves it up for the next.
    afterEach(async () => {
      await relay?.up();
    });

    afterAll(async () => {
      await relay?.close();
      await server?.stop();
    });

    it('a file written while the server is down is shown as pending, then reaches the server with no further action', async () => {
      const m = await mountFtpfs(relay.server, scratch.path, mounts, ['--dir-ttl', '60']);
      await fs.promises.readdir(m.mountpoint);
      await relay.down();
      const file = path.join(m.mountpoint, 'note.txt');
      // close(2) tells that the upload failed; the copy is kept.
      expect(await writeOnMount(file, 'note\n')).not.toBe('ok');
      expect(await uploadState(file)).toMatch(/^failed: .*; next try in \d+ s$/);
      expect(await xattrNames(file)).toContain('user.ftpfs.upload');
      expect(await fs.promises.readdir(m.mountpoint)).toContain('note.txt');
      expect(await fs.promises.readFile(file, 'utf8')).toBe('note\n');
      expect(contentOf(path.join(server.root, 'note.txt'))).toBeNull();
      // Other attributes: none, and they cannot be set.
      expect(await uploadState(path.join(m.mountpoint, 'same.bin'))).toBe('absent');
      await relay.up();
      await waitFor(() => contentOf(path.join(server.root, 'note.txt')) === 'note\n', 60_000, 'the retried upload');
      await waitFor(() => /note\.txt is on the server now/.test(m.stderr()), 10_000, 'the report of the upload');
      expect(await uploadState(file)).toBe('absent');
      // Told once when it failed, not once per attempt.
      expect(m.stderr().match(/note\.txt is not on the server yet/g)).toHaveLength(1);
      await unmount(m);
      await expectCleanEnd(m);
    });

    it('a file left dirty by a SIGKILLed ftpfs is uploaded by the next mount', async () => {
      const m = await mountFtpfs(relay.server, scratch.path, mounts, ['--dir-ttl', '60']);
      await fs.promises.readdir(m.mountpoint);
      await relay.down();
      expect(await writeOnMount(path.join(m.mountpoint, 'killed.txt'), 'written before the kill\n')).not.toBe('ok');
      m.child.kill('SIGKILL');
      await m.exited;
      // fusermount3, kept alive by auto_unmount, unmounts.
      await waitFor(() => !isMounted(m.mountpoint), 10_000, 'the mount to go with the killed ftpfs');
      await relay.up();
      const again = await mountFtpfs(relay.server, scratch.path, mounts, ['--dir-ttl', '60'], m.cacheBase);
      expect(again.stderr()).not.toMatch(/private/);
      expect(again.stderr()).toContain('/killed.txt was left not on the server by an earlier mount: uploading it');
      await waitFor(() => contentOf(path.join(server.root, 'killed.txt')) === 'written before the kill\n', 60_000, 'the upload by the next mount');
      expect(await fs.promises.readFile(path.join(again.mountpoint, 'killed.txt'), 'utf8')).toBe('written before the kill\n');
      await waitFor(() => /killed\.txt is on the server now/.test(again.stderr()), 10_000, 'the report of the upload');
      await unmount(again);
      await expectCleanEnd(again);
    });

    it.each([['fusermount3 -u', 'later.txt'], ['SIGTERM', 'sigterm.txt']])('an unmount (%s) with the server down names the file, ends within --unmount-wait, and the next mount uploads it', async (how, name) => {
      const m = await mountFtpfs(relay.server, scratch.path, mounts, ['--dir-ttl', '60', '--unmount-wait', '2']);
      await fs.promises.readdir(m.mountpoint);
      await relay.down();
      expect(await writeOnMount(path.join(m.mountpoint, name), 'for later\n')).not.toBe('ok');
      const started = Date.now();
      if (how === 'SIGTERM') m.child.kill('SIGTERM');
      else await unmount(m);
      expect(await m.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(m.stderr()).toContain(`not on the server yet: /${name}`);
      expect(m.stderr()).toMatch(/kept in .*: the next mount of .* uploads them/);
      const [kept] = cacheDirs(m.cacheBase);
      expect(kept!.index.files.find((f) => f.remote === `/${name}`)?.dirty).toBe(true);
      await relay.up();
      const again = await mountFtpfs(relay.server, scratch.path, mounts, ['--dir-ttl', '60'], m.cacheBase);
      await waitFor(() => contentOf(path.join(server.root, name)) === 'for later\n', 60_000, 'the upload by the next mount');
      await unmount(again);
      await expectCleanEnd(again);
    });

    it('the next mount lists a file the server still refuses with its local size and time, and says it is not uploaded', async () => {
      const m = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1', '--unmount-wait', '1']);
      const file = path.join(m.mountpoint, 'locked', 'kept.txt');
      expect(await writeOnMount(file, 'refused by the server\n')).toBe('EACCES');
      const time = new Date('2020-02-02T02:02:02Z');
      await fs.promises.utimes(file, time, time);
      await unmount(m);
      expect(await m.exited).toEqual({ code: 0, signal: null });
      expect(m.stderr()).toContain('not on the server yet: /locked/kept.txt');
      const again = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1', '--unmount-wait', '1'], m.cacheBase);
      const at = path.join(again.mountpoint, 'locked', 'kept.txt');
      expect(await fs.promises.readdir(path.join(again.mountpoint, 'locked'))).toEqual(['kept.txt']);
      const stat = await fs.promises.stat(at);
      expect({ size: stat.size, mtime: stat.mtime.toISOString() }).toEqual({ size: 22, mtime: time.toISOString() });
      expect(await fs.promises.readFile(at, 'utf8')).toBe('refused by the server\n');
      await waitFor(() => /kept\.txt is not on the server yet/.test(again.stderr()), 10_000, 'the refusal reported');
      expect(await uploadState(at)).toMatch(/^failed: .*; next try in \d+ s$|^uploading$/);
      expect(fs.readdirSync(path.join(server.root, 'locked'))).toEqual([]);
      await unmount(again);
      expect(await again.exited).toEqual({ code: 0, signal: null });
    });

    it('the next mount does not download an unchanged file again, and does download a changed one', async () => {
      const retrs = (name: string): number => server.commands('RETR').filter((p) => p === name).length;
      const m = await mountFtpfs(server, scratch.path, mounts);
      expect((await fs.promises.readFile(path.join(m.mountpoint, 'same.bin'))).length).toBe(256 * 1024);
      expect(await fs.promises.readFile(path.join(m.mountpoint, 'changing.txt'), 'utf8')).toBe('first version\n');
      await unmount(m);
      await expectCleanEnd(m);
      await waitFor(() => retrs('/same.bin') >= 1 && retrs('/changing.txt') >= 1, 5000, 'the RETRs in the log');
      const before = { same: retrs('/same.bin'), changing: retrs('/changing.txt') };
      fs.writeFileSync(path.join(server.root, 'changing.txt'), 'second, longer version\n');
      const again = await mountFtpfs(server, scratch.path, mounts, [], m.cacheBase);
      expect((await fs.promises.readFile(path.join(again.mountpoint, 'same.bin'))).equals(Buffer.alloc(256 * 1024, 7))).toBe(true);
      expect(await fs.promises.readFile(path.join(again.mountpoint, 'changing.txt'), 'utf8')).toBe('second, longer version\n');
      await waitFor(() => retrs('/changing.txt') > before.changing, 5000, 'the RETR of the changed file').catch(() => {});
      expect(retrs('/changing.txt')).toBe(before.changing + 1);
      expect(retrs('/same.bin')).toBe(before.same);
      await unmount(again);
      await expectCleanEnd(again);
    });

    it('a second mount of the same server with the same cache directory works in a private directory', async () => {
      // The first mount lists again at every use, so it sees what the second one writes.
      const first = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '0']);
      const second = await mountFtpfs(server, scratch.path, mounts, [], first.cacheBase);
      expect(second.stderr()).toMatch(/in use by another mount \(pid \d+\): this mount uses a private cache directory, .*mount-/);
      expect(await fs.promises.readFile(path.join(second.mountpoint, 'same.bin'))).toHaveLength(256 * 1024);
      await fs.promises.writeFile(path.join(second.mountpoint, 'second.txt'), 'from the second mount\n');
      expect(contentOf(path.join(server.root, 'second.txt'))).toBe('from the second mount\n');
      await unmount(second);
      expect(await second.exited).toEqual({ code: 0, signal: null });
      // Its private directory is gone; the first mount's is still locked.
      expect(fs.readdirSync(first.cacheBase).filter((name) => name.startsWith('mount-'))).toEqual([]);
      expect(await fs.promises.readFile(path.join(first.mountpoint, 'second.txt'), 'utf8')).toBe('from the second mount\n');
      await unmount(first);
      await expectCleanEnd(first);
    });

    it('an unreadable index is left alone with its copies, and the mount works in a private directory', async () => {
      const m = await mountFtpfs(server, scratch.path, mounts);
      await fs.promises.readFile(path.join(m.mountpoint, 'same.bin'));
      await unmount(m);
      await expectCleanEnd(m);
      const dir = cacheDirs(m.cacheBase)[0]!.dir;
      const indexFile = path.join(dir, 'index.json');
      for (const bad of ['{ not json', JSON.stringify({ format: 99, files: [] })]) {
        fs.writeFileSync(indexFile, bad);
        const before = fs.readdirSync(dir).sort();
        const again = await mountFtpfs(server, scratch.path, mounts, [], m.cacheBase);
        expect(again.stderr()).toMatch(/index .* cannot be read .*its copies are left as they are: this mount uses a private cache directory/);
        expect(await fs.promises.readFile(path.join(again.mountpoint, 'changing.txt'), 'utf8')).toMatch(/version/);
        await unmount(again);
        expect(await again.exited).toEqual({ code: 0, signal: null });
        expect(isMounted(again.mountpoint)).toBe(false);
        expect(fs.readdirSync(dir).sort()).toEqual(before);
        expect(fs.readFileSync(indexFile, 'utf8')).toBe(bad);
        expect(fs.readdirSync(m.cacheBase).filter((name) => name.startsWith('mount-'))).toEqual([]);
      }
    });
  });
}
