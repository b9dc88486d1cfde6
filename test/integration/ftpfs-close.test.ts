// close(2) on an ftpfs mount: a descriptor open for reading has nothing to
// upload, and its close does not wait for ftpfs (FOPEN_NOFLUSH: the kernel
// sends no FLUSH), even while ftpfs cannot answer; one open for writing
// waits, for its close reports how the upload went.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniftp, type FtpTestServer } from '../helpers/ftp-servers.js';
import { cleanUpMounts, mountFtpfs, type MountedFtpfs } from '../helpers/ftpfs-mount.js';
import { fuseUnavailable } from '../helpers/mounts.js';
import { waitFor } from '../helpers/process.js';
import { scratchDir } from '../helpers/scratch.js';

const scratch = scratchDir('privsep-ftpfs-close-');
const mounts: MountedFtpfs[] = [];

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

// Opens `file` (flags), reads a byte, says "open"; closes it when told, then says "closed".
const HOLDER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], process.argv[2]);
fs.readSync(fd, Buffer.alloc(1), 0, 1, 0);
process.stdout.write('open\\n');
process.stdin.once('data', () => { fs.closeSync(fd); process.stdout.write('closed\\n'); process.exit(0); });
`;

function holder(file: string, flags: string): { child: ChildProcess; said: () => string } {
  const child = spawn(process.execPath, ['-e', HOLDER, file, flags], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, said: () => out };
}

const why = miniftp.unavailable() ?? fuseUnavailable();
if (why) console.log(`skipping close(2) on ftpfs: ${why}`);

describe.skipIf(why !== null)('close(2) on ftpfs', () => {
  let server: FtpTestServer;
  let m: MountedFtpfs;

  beforeAll(async () => {
    server = await miniftp.start();
    server.own('.');
    fs.writeFileSync(path.join(server.root, 'read.txt'), 'read me\n');
    fs.writeFileSync(path.join(server.root, 'write.txt'), 'write me\n');
    server.own('.');
    m = await mountFtpfs(server, scratch.path, mounts);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('of a descriptor open for reading returns while ftpfs is stopped; one open for writing waits for it', async () => {
    const reader = holder(path.join(m.mountpoint, 'read.txt'), 'r');
    const writer = holder(path.join(m.mountpoint, 'write.txt'), 'r+');
    try {
      await waitFor(() => reader.said() === 'open\n' && writer.said() === 'open\n', 20_000, 'both files open');
      process.kill(m.child.pid!, 'SIGSTOP');
      try {
        reader.child.stdin!.write('close\n');
        await waitFor(() => reader.said().endsWith('closed\n'), 10_000, 'the reader to close while ftpfs is stopped');
        writer.child.stdin!.write('close\n');
        // Its FLUSH is with ftpfs, which does not run: the close stays in the kernel.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(writer.said()).toBe('open\n');
      } finally {
        process.kill(m.child.pid!, 'SIGCONT');
      }
      await waitFor(() => writer.said().endsWith('closed\n'), 20_000, 'the writer to close once ftpfs runs again');
    } finally {
      reader.child.kill();
      writer.child.kill();
    }
  });
});
