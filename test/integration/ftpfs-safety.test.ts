// ftpfs must never lose or mix up data, against a real server through a real
// FUSE mount: a refused upload leaves later writes in their own file, a
// dropped upload leaves the file dirty and honest until a retry puts it on
// the server whole, names the server cannot store are refused at once, and
// ftpfs exits at once after an unmount even when an upload was refused.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniftp, serverKinds, type FtpTestServer } from '../helpers/ftp-servers.js';
import { cleanUpMounts, fails, mountFtpfs, outcome, run, type MountedFtpfs } from '../helpers/ftpfs-mount.js';
import { fuseUnavailable, unmountFuse } from '../helpers/mounts.js';
import { waitFor } from '../helpers/process.js';
import { scratchDir } from '../helpers/scratch.js';

const scratch = scratchDir('privsep-ftpfs-safety-');
const mounts: MountedFtpfs[] = [];

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** Size of a file, 0 while it does not exist. */
function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

const why = miniftp.unavailable() ?? fuseUnavailable();
if (why) console.log(`skipping ftpfs data safety with miniftp: ${why}`);

describe.skipIf(why !== null)('ftpfs on miniftp: a refused upload', () => {
  let server: FtpTestServer;
  let m: MountedFtpfs;

  beforeAll(async () => {
    server = await miniftp.start();
    server.own('.');
    // Root's directory: the FTP user may read it but not store in it.
    fs.mkdirSync(path.join(server.root, 'locked'), { mode: 0o755 });
    m = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1', '--unmount-wait', '2']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('leaves later writes to the file in its own copy, not in another file opened after it', async () => {
    const a = await fs.promises.open(path.join(m.mountpoint, 'locked', 'a.txt'), 'w+');
    try {
      // Bigger than the socket buffers: the refusal comes while the copy is being sent.
      const content = crypto.randomBytes(4 * 1024 * 1024);
      await a.write(content, 0, content.length, 0);
      expect(await outcome(a.sync())).toBe('EACCES');
      const b = await fs.promises.open(path.join(m.mountpoint, 'b.txt'), 'w');
      await b.write('content of B\n', 0);
      await a.write('SECRET-OF-A', 0);
      await b.close();
      expect(fs.readFileSync(path.join(server.root, 'b.txt'), 'utf8')).toBe('content of B\n');
      const start = Buffer.alloc(16);
      await a.read(start, 0, 16, 0);
      expect(start).toEqual(Buffer.concat([Buffer.from('SECRET-OF-A'), content.subarray(11, 16)]));
    } finally {
      expect(await outcome(a.close())).toBe('EACCES');
    }
    expect(fs.existsSync(path.join(server.root, 'locked', 'a.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(server.root, 'b.txt'), 'utf8')).toBe('content of B\n');
  });

  it('ends soon after fusermount3 -u, naming the files whose upload is still refused', async () => {
    // A refusal may come before the data connection is made, or after: a few of them.
    for (let i = 0; i < 5; i++) expect(await outcome(fs.promises.writeFile(path.join(m.mountpoint, 'locked', `${i}.txt`), 'refused\n'))).toBe('EACCES');
    await unmountFuse(m.mountpoint);
    // The unmount waits --unmount-wait (2 s) for the refused uploads; far less than
    // the 30 s every FTP exchange may take (--timeout's default).
    const bound = 10_000;
    const ended = await Promise.race([m.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, bound, false))]);
    expect(ended, `ftpfs still running ${bound} ms after the unmount:\n${m.stderr()}`).toBe(true);
    expect(await m.exited).toEqual({ code: 0, signal: null });
    for (let i = 0; i < 5; i++) expect(m.stderr()).toContain(`not on the server yet: /locked/${i}.txt`);
    expect(m.stderr()).toMatch(/kept in .*: the next mount of .* uploads them/);
  });
});

describe.skipIf(why !== null)('ftpfs on miniftp: names the server cannot store', () => {
  let server: FtpTestServer;
  let m: MountedFtpfs;

  beforeAll(async () => {
    server = await miniftp.start();
    fs.writeFileSync(path.join(server.root, 'existing.txt'), 'existing\n');
    server.own('.');
    m = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1']);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses them at create, mkdir and rename, and leaves no entry behind', async () => {
    const bad: Array<[string, string]> = [['a'.repeat(256), 'ENAMETOOLONG'], ['é'.repeat(128), 'ENAMETOOLONG'], ['line\nbreak', 'EINVAL'], ['carriage\rreturn', 'EINVAL']];
    for (const [name, code] of bad) {
      const at = path.join(m.mountpoint, name);
      expect(await outcome(fs.promises.writeFile(at, 'data\n')), `create ${JSON.stringify(name)}`).toBe(code);
      expect(await outcome(fs.promises.mkdir(at)), `mkdir ${JSON.stringify(name)}`).toBe(code);
      expect(await outcome(fs.promises.rename(path.join(m.mountpoint, 'existing.txt'), at)), `rename to ${JSON.stringify(name)}`).toBe(code);
      // A name too long to exist is too long to look up, not missing.
      if (code === 'ENAMETOOLONG') expect(await outcome(fs.promises.stat(at)), `stat ${JSON.stringify(name)}`).toBe(code);
    }
    expect((await fs.promises.readdir(m.mountpoint)).sort()).toEqual(['existing.txt']);
    expect(fs.readdirSync(server.root).sort()).toEqual(['existing.txt']);
    // The longest name the server stores is still fine.
    const longest = 'b'.repeat(255);
    await fs.promises.writeFile(path.join(m.mountpoint, longest), 'longest\n');
    expect(fs.readFileSync(path.join(server.root, longest), 'utf8')).toBe('longest\n');
  });
});

for (const kind of serverKinds) {
  const skip = kind.unavailable() ?? fuseUnavailable();
  if (skip) console.log(`skipping ftpfs dropped uploads with ${kind.name}: ${skip}`);

  describe.skipIf(skip !== null)(`ftpfs on ${kind.name}: an upload dropped midway`, () => {
    let server: FtpTestServer;
    let m: MountedFtpfs;
    const rate = 1024 * 1024;

    beforeAll(async () => {
      // A slow server: the upload is still running when its session is killed.
      server = await kind.start({ maxRate: rate });
      server.own('.');
      m = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1', '--timeout', '10']);
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('fails the close with EIO, keeps the copy whole on the mount, and the retry puts all of it on the server', async () => {
      const content = crypto.randomBytes(4 * rate);
      const source = path.join(scratch.path, `source-${kind.name}.bin`);
      fs.writeFileSync(source, content);
      const onServer = path.join(server.root, 'dropped.bin');
      const onMount = path.join(m.mountpoint, 'dropped.bin');
      const cp = fails('cp', [source, onMount], 60_000);
      await waitFor(() => sizeOf(onServer) > 0, 30_000, 'the upload to begin');
      server.killSessions();
      expect(await cp).toMatch(/Input\/output error/);
      // The mount shows what was written, from the copy, not the server's partial file.
      expect(await run('stat', ['-c', '%s', onMount])).toBe(`${content.length}\n`);
      expect(sha256(fs.readFileSync(onMount))).toBe(sha256(content));
      // The upload at release, from the copy, puts the whole file there.
      await waitFor(() => sizeOf(onServer) === content.length, 60_000, 'the retried upload');
      expect(sha256(fs.readFileSync(onServer))).toBe(sha256(content));
      expect(m.stderr()).not.toMatch(/upload of .* failed/);
    });
  });
}
