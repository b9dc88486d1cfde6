// ftpfs over TLS, end to end as root: the ftpfs command mounting ftpes://
// (AUTH TLS) and ftps:// (implicit) URLs of our own servers on 127.0.0.1
// (vsftpd with require_ssl_reuse=YES, miniftp with its defaults), coreutils
// on the mount byte for byte, and the certificate checks: --ca-file, a
// wrong CA refused with the reason, --insecure with a warning.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverKinds, type FtpTestServer } from '../helpers/ftp-servers.js';
import { cleanUpMounts, expectCleanEnd, fails, ftpfsScript, mountFtpfs, run, type MountedFtpfs } from '../helpers/ftpfs-mount.js';
import { fuseUnavailable, unmountFuse } from '../helpers/mounts.js';
import { scratchDir } from '../helpers/scratch.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-certs.js';
import { missingTool } from '../helpers/tools.js';

const scratch = scratchDir('privsep-ftpfs-ftps-');
const mounts: MountedFtpfs[] = [];
const sha256 = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

afterAll(async () => {
  await cleanUpMounts(mounts);
  scratch.remove();
});

for (const kind of serverKinds) {
  const why = kind.unavailable() ?? missingTool('openssl') ?? fuseUnavailable();
  if (why) console.log(`skipping ftpfs over TLS with ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`ftpfs over TLS: ${kind.name} mounted by ftpes:// and ftps:// URLs`, () => {
    let certificate: TestCertificate;
    let other: TestCertificate;
    let explicit: FtpTestServer;
    let implicit: FtpTestServer;
    let local: string;

    const mount = (server: FtpTestServer, scheme: 'ftpes' | 'ftps', args: string[]): Promise<MountedFtpfs> =>
      mountFtpfs(server, scratch.path, mounts, args, undefined, scheme);

    const unmount = async (m: MountedFtpfs): Promise<void> => {
      await unmountFuse(m.mountpoint);
      await expectCleanEnd(m);
    };

    beforeAll(async () => {
      const dir = fs.mkdtempSync(path.join(scratch.path, `${kind.name}-`));
      certificate = makeCertificate(dir);
      other = makeCertificate(dir, 'other');
      explicit = await kind.start({ tls: certificate });
      implicit = await kind.start({ tls: { ...certificate, implicit: true } });
      local = fs.mkdtempSync(path.join(dir, 'local-'));
      fs.writeFileSync(path.join(local, 'in.bin'), crypto.randomBytes((5 << 20) + 321));
      for (const server of [explicit, implicit]) {
        fs.writeFileSync(path.join(server.root, 'hello.txt'), 'hello over TLS\n');
        server.own('.');
      }
    });

    afterAll(async () => {
      await explicit?.stop();
      await implicit?.stop();
    });

    it('ftpes:// with --ca-file: cp in, cat out, sha256 equal', async () => {
      const m = await mount(explicit, 'ftpes', ['--ca-file', certificate.cert]);
      const line = fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === m.mountpoint);
      expect(line).toMatch(new RegExp(`^ftpes://${explicit.user}@127\\.0\\.0\\.1:${explicit.port}/ `));
      expect(await run('cat', [path.join(m.mountpoint, 'hello.txt')])).toBe('hello over TLS\n');
      await run('cp', [path.join(local, 'in.bin'), path.join(m.mountpoint, 'in.bin')]);
      await unmount(m);
      // On the server, and back through a new mount (a cold cache: downloaded over TLS).
      expect(sha256(path.join(explicit.root, 'in.bin'))).toBe(sha256(path.join(local, 'in.bin')));
      const again = await mount(explicit, 'ftpes', ['--ca-file', certificate.cert]);
      await run('sh', ['-c', `cat "${path.join(again.mountpoint, 'in.bin')}" > "${path.join(local, 'out.bin')}"`]);
      expect(sha256(path.join(local, 'out.bin'))).toBe(sha256(path.join(local, 'in.bin')));
      expect(m.stderr()).not.toMatch(/warning/);
      await unmount(again);
    });

    it('ftps:// (implicit): cp in, cat out', async () => {
      const m = await mount(implicit, 'ftps', ['--ca-file', certificate.cert]);
      await run('cp', [path.join(local, 'in.bin'), path.join(m.mountpoint, 'in-implicit.bin')]);
      await run('sh', ['-c', `cat "${path.join(m.mountpoint, 'hello.txt')}" > "${path.join(local, 'hello-implicit.txt')}"`]);
      await unmount(m);
      expect(fs.readFileSync(path.join(local, 'hello-implicit.txt'), 'utf8')).toBe('hello over TLS\n');
      expect(sha256(path.join(implicit.root, 'in-implicit.bin'))).toBe(sha256(path.join(local, 'in.bin')));
    });

    it('a certificate the CA does not vouch for: no mount, and the reason', async () => {
      const mountpoint = fs.mkdtempSync(path.join(scratch.path, 'mnt-'));
      const url = `ftpes://${explicit.user}:${explicit.password}@127.0.0.1:${explicit.port}/`;
      const wrongCa = await fails(process.execPath, [ftpfsScript, url, mountpoint, '--ca-file', other.cert]);
      expect(wrongCa).toMatch(/cannot use ftpes:\/\/127\.0\.0\.1:\d+\/: TLS handshake with 127\.0\.0\.1:\d+ failed: .*self[- ]signed certificate/);
      // No --ca-file: the system's CAs do not know a self-signed certificate either.
      expect(await fails(process.execPath, [ftpfsScript, url, mountpoint])).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed/);
      const missing = await fails(process.execPath, [ftpfsScript, url, mountpoint, '--ca-file', path.join(scratch.path, 'no-such-ca.pem')]);
      expect(missing).toMatch(/cannot read --ca-file .*no-such-ca\.pem: ENOENT/);
    });

    it('--insecure: mounts without checking the certificate, and says so', async () => {
      const m = await mount(explicit, 'ftpes', ['--insecure']);
      expect(m.stderr()).toMatch(/warning: --insecure: the certificate of 127\.0\.0\.1 is not checked/);
      expect(await run('cat', [path.join(m.mountpoint, 'hello.txt')])).toBe('hello over TLS\n');
      await unmount(m);
    });
  });
}
