// ftpfs reads at any offset without downloading the whole file, against
// real servers through a real FUSE mount: a read at the end of a big file
// costs about what it reads, reads at scattered offsets and a full read fit
// together exactly, a read elsewhere does not wait for a download running
// at the start, a failed range download fails that read alone, and a second
// read of an unchanged file comes from the kernel's page cache.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverKinds, type FtpTestServer } from '../helpers/ftp-servers.js';
import { cleanUpMounts, expectCleanEnd, mountFtpfs, outcome, run, type MountedFtpfs } from '../helpers/ftpfs-mount.js';
import { fuseUnavailable, unmountFuse } from '../helpers/mounts.js';
import { waitFor } from '../helpers/process.js';
import { scratchDir } from '../helpers/scratch.js';

const scratch = scratchDir('privsep-ftpfs-ranges-');
const mounts: MountedFtpfs[] = [];
const MiB = 1024 * 1024;

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** Bytes the cached copies take on disk (allocated blocks: the copies are sparse). */
function cachedBytes(m: MountedFtpfs): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(m.cacheBase, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).blocks * 512;
  }
  return bytes;
}

/** Bytes the ftpfs process has written with write(2) and the like so far: its replies to the kernel included. */
function bytesWritten(m: MountedFtpfs): number {
  const io = fs.readFileSync(`/proc/${m.child.pid}/io`, 'utf8');
  return Number(/^wchar: (\d+)$/m.exec(io)![1]);
}

async function preadAt(file: string, offset: number, length: number): Promise<Buffer> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await fd.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

/** The RETRs of `remote` the server has logged (a server may log a transfer just after it ended). */
async function retrs(server: FtpTestServer, remote: string): Promise<number> {
  await waitFor(() => server.commands('RETR').includes(remote), 5000, `a RETR of ${remote} in the log`).catch(() => {});
  return server.commands('RETR').filter((arg) => arg === remote).length;
}

function putFile(server: FtpTestServer, name: string, data: Buffer): void {
  fs.writeFileSync(path.join(server.root, name), data);
  server.own(name);
}

for (const kind of serverKinds) {
  const why = kind.unavailable() ?? fuseUnavailable();
  if (why) console.log(`skipping ftpfs ranges on ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`ftpfs reads at any offset, on ${kind.name}`, () => {
    let server: FtpTestServer;
    let m: MountedFtpfs;
    const big = crypto.randomBytes(64 * MiB + 12345);
    const small = crypto.randomBytes(8 * MiB);

    beforeAll(async () => {
      server = await kind.start();
      for (const name of ['big.bin', 'tail.bin', 'scattered.bin', 'twice.bin']) putFile(server, name, big);
      putFile(server, 'gone.bin', small);
      putFile(server, 'removed.bin', small);
      m = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1']);
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('a 4 KiB read at the end of a 64 MiB file gets its bytes and downloads little more', async () => {
      const at = big.length - 4096;
      expect(await preadAt(path.join(m.mountpoint, 'big.bin'), at, 4096)).toEqual(big.subarray(at));
      // Whole-file downloads would hold all 64 MiB by the time the read returned.
      expect(cachedBytes(m)).toBeLessThan(4 * MiB);
      expect(await retrs(server, '/big.bin')).toBe(1);
    });

    it('tail -c 100 gets the last 100 bytes', async () => {
      const before = cachedBytes(m);
      const out = path.join(scratch.path, `tail-${kind.name}.bin`);
      await run('sh', ['-c', 'tail -c 100 "$1" > "$2"', 'sh', path.join(m.mountpoint, 'tail.bin'), out]);
      expect(fs.readFileSync(out)).toEqual(big.subarray(big.length - 100));
      expect(cachedBytes(m) - before).toBeLessThan(4 * MiB);
      expect(await retrs(server, '/tail.bin')).toBe(1);
    });

    it('reads at scattered offsets, then a whole read, give the exact file', async () => {
      const file = path.join(m.mountpoint, 'scattered.bin');
      const fd = await fs.promises.open(file, 'r');
      try {
        for (const offset of [40 * MiB + 7, 3 * MiB, 63 * MiB + 100, 20 * MiB - 1, 41 * MiB, 12345]) {
          const buffer = Buffer.alloc(65536);
          const { bytesRead } = await fd.read(buffer, 0, buffer.length, offset);
          expect(buffer.subarray(0, bytesRead)).toEqual(big.subarray(offset, offset + 65536));
        }
        // The same descriptor reads on from the start: the downloads fill the gaps between the parts held.
        const whole = Buffer.alloc(big.length);
        const { bytesRead } = await fd.read(whole, 0, whole.length, 0);
        expect(bytesRead).toBe(big.length);
        expect(sha256(whole)).toBe(sha256(big));
      } finally {
        await fd.close();
      }
      expect((await run('sha256sum', [file])).split(' ')[0]).toBe(sha256(big));
    });

    it('a range download the server refuses fails that read alone; the next open works', async () => {
      const data = small;
      const file = path.join(m.mountpoint, 'gone.bin');
      const fd = await fs.promises.open(file, 'r');
      try {
        const tail = Buffer.alloc(4096);
        await fd.read(tail, 0, 4096, data.length - 4096);
        expect(tail).toEqual(data.subarray(data.length - 4096));
        fs.rmSync(path.join(server.root, 'gone.bin'));
        expect(await outcome(fd.read(Buffer.alloc(4096), 0, 4096, 0))).toBe('ENOENT');
        // What the copy holds is still served on the same descriptor.
        const again = Buffer.alloc(4096);
        await fd.read(again, 0, 4096, data.length - 4096);
        expect(again).toEqual(tail);
      } finally {
        await fd.close();
      }
      putFile(server, 'gone.bin', data);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the listing is fresh for 1 s
      expect((await run('sha256sum', [file])).split(' ')[0]).toBe(sha256(data));
    });

    it('a file open while it is removed through the mount reads on, the parts not read yet included', async () => {
      const file = path.join(m.mountpoint, 'removed.bin');
      const fd = await fs.promises.open(file, 'r');
      try {
        const tail = Buffer.alloc(4096);
        await fd.read(tail, 0, 4096, small.length - 4096);
        await run('rm', [file]);
        expect(fs.existsSync(path.join(server.root, 'removed.bin'))).toBe(false);
        const whole = Buffer.alloc(small.length);
        const { bytesRead } = await fd.read(whole, 0, whole.length, 0);
        expect(bytesRead).toBe(small.length);
        expect(sha256(whole)).toBe(sha256(small));
      } finally {
        await fd.close();
      }
    });

    it('a second cat of a whole cached file is served from the page cache, not through ftpfs', async () => {
      const file = path.join(m.mountpoint, 'twice.bin');
      const toNull = ['sh', '-c', 'cat "$1" > /dev/null', 'sh', file] as const;
      const cat = async (when: string, command: readonly string[]): Promise<string> => {
        const before = bytesWritten(m);
        const started = Date.now();
        const stdout = await run(command[0]!, command.slice(1));
        const through = bytesWritten(m) - before;
        console.log(`${when} read of 64 MiB on ${kind.name}: ${Date.now() - started} ms, ${through} bytes through ftpfs`);
        // A read through ftpfs writes the file's 64 MiB to the kernel.
        expect(through).toBeLessThan(4 * MiB);
        return stdout;
      };
      // A reader as fast as the download ends with its last byte, before the server's 226.
      await run(toNull[0], toNull.slice(1));
      // A sequential reader is served by one RETR from the start to the end.
      expect(await retrs(server, '/twice.bin')).toBe(1);
      await cat('second', toNull);
      // Past the listing's freshness: the attributes come from a new listing.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await cat('third', ['sha256sum', file])).split(' ')[0]).toBe(sha256(big));
    });

    it('fusermount3 -u: ftpfs exits cleanly', async () => {
      await unmountFuse(m.mountpoint);
      await expectCleanEnd(m);
    });
  });

  describe.skipIf(why !== null)(`ftpfs reads while a download runs elsewhere, on ${kind.name}`, () => {
    let server: FtpTestServer;
    let m: MountedFtpfs;
    const data = crypto.randomBytes(16 * MiB);

    beforeAll(async () => {
      // 2 MiB/s per session: the download from the start takes 8 s for the whole file.
      server = await kind.start({ maxRate: 2 * MiB });
      putFile(server, 'slow.bin', data);
      m = await mountFtpfs(server, scratch.path, mounts, ['--dir-ttl', '1']);
    });

    afterAll(async () => {
      await server?.stop();
    });

    it('a read near the end does not wait for the download from the start', async () => {
      const fd = await fs.promises.open(path.join(m.mountpoint, 'slow.bin'), 'r');
      try {
        const head = Buffer.alloc(4096);
        await fd.read(head, 0, 4096, 0);
        expect(head).toEqual(data.subarray(0, 4096));
        const at = 14 * MiB;
        const far = Buffer.alloc(65536);
        await fd.read(far, 0, far.length, at);
        expect(far).toEqual(data.subarray(at, at + 65536));
        // Waiting for the first download would have brought the 14 MiB before.
        expect(cachedBytes(m)).toBeLessThan(10 * MiB);
        const whole = Buffer.alloc(data.length);
        const { bytesRead } = await fd.read(whole, 0, whole.length, 0);
        expect(bytesRead).toBe(data.length);
        expect(sha256(whole)).toBe(sha256(data));
      } finally {
        await fd.close();
      }
    });

    it('fusermount3 -u: ftpfs exits cleanly', async () => {
      await unmountFuse(m.mountpoint);
      await expectCleanEnd(m);
    });
  });
}
