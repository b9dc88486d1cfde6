// The FTP client over TLS against real servers on 127.0.0.1 (vsftpd with
// require_ssl_reuse=YES, and miniftp with its defaults, which require it
// too): explicit (AUTH TLS) and implicit FTPS, listings, downloads (whole, at
// an offset, into a file), uploads, both data connection modes, byte for
// byte; certificates checked by default, a wrong CA refused with a clear error.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { FdHandle } from 'privsep';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpClient, type FtpClientOptions } from '../../../examples/ftpfs/client/index.js';
import { serverKinds, type FtpTestServer } from '../../helpers/ftp-servers.js';
import { scratchDir, type ScratchDir } from '../../helpers/scratch.js';
import { makeCertificate, type TestCertificate } from '../../helpers/tls-certs.js';
import { missingTool } from '../../helpers/tools.js';

async function download(client: FtpClient, remote: string, startAt = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await client.download(remote, sink, { startAt });
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex');

for (const kind of serverKinds) {
  const why = kind.unavailable() ?? missingTool('openssl');
  if (why) console.log(`skipping the FTP client over TLS against ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`FtpClient over TLS against ${kind.name}`, () => {
    let scratch: ScratchDir;
    let certificate: TestCertificate;
    let other: TestCertificate;
    let explicit: FtpTestServer;
    let implicit: FtpTestServer;
    const payload = crypto.randomBytes((2 << 20) + 12345);
    const clients: FtpClient[] = [];

    const client = (server: FtpTestServer, options: Partial<FtpClientOptions> = {}): FtpClient => {
      const made = new FtpClient({
        host: server.host, port: server.port, user: server.user, password: server.password, timeoutMs: 15_000,
        secure: 'explicit', ca: fs.readFileSync(certificate.cert), ...options,
      });
      clients.push(made);
      return made;
    };

    beforeAll(async () => {
      scratch = scratchDir('ftpfs-ftps-');
      certificate = makeCertificate(scratch.path);
      other = makeCertificate(scratch.path, 'other');
      explicit = await kind.start({ tls: certificate });
      implicit = await kind.start({ tls: { ...certificate, implicit: true } });
      for (const server of [explicit, implicit]) {
        fs.writeFileSync(path.join(server.root, 'payload.bin'), payload);
        server.own('payload.bin');
      }
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await explicit?.stop();
      await implicit?.stop();
      scratch?.remove();
    });

    it('explicit FTPS: lists, downloads (whole and from an offset) and uploads byte for byte', async () => {
      const ftp = client(explicit);
      await ftp.connect();
      expect((await ftp.list()).map((f) => f.name)).toContain('payload.bin');
      expect(sha256(await download(ftp, 'payload.bin'))).toBe(sha256(payload));
      const offset = 1_000_003;
      expect(sha256(await download(ftp, 'payload.bin', offset))).toBe(sha256(payload.subarray(offset)));
      const sent = await ftp.upload(Readable.from([payload.subarray(0, 777_777), payload.subarray(777_777)]), 'up.bin');
      expect(sent).toBe(payload.length);
      expect(sha256(fs.readFileSync(path.join(explicit.root, 'up.bin')))).toBe(sha256(payload));
      // The uploaded file, back again over a new data connection.
      expect(sha256(await download(ftp, 'up.bin'))).toBe(sha256(payload));
      // One control connection carried it all.
      expect(ftp.connections).toBe(1);
    });

    it('explicit FTPS: a download into a file, at an offset, goes through TLS (no splice of ciphertext)', async () => {
      const ftp = client(explicit);
      const file = path.join(scratch.path, `${kind.name}-to-file.bin`);
      const handle = new FdHandle(fs.openSync(file, 'w+'));
      try {
        const offset = 65_537;
        const received = await ftp.downloadToFile('payload.bin', handle, { startAt: offset });
        expect(received).toBe(payload.length - offset);
      } finally {
        handle.close();
      }
      const copy = fs.readFileSync(file);
      expect(sha256(copy.subarray(65_537))).toBe(sha256(payload.subarray(65_537)));
    });

    it('explicit FTPS, active data connections: list, download and upload', async () => {
      const ftp = client(explicit, { dataMode: 'active' });
      expect((await ftp.list()).map((f) => f.name)).toContain('payload.bin');
      expect(sha256(await download(ftp, 'payload.bin'))).toBe(sha256(payload));
      await ftp.upload(Readable.from([payload]), 'up-active.bin');
      expect(sha256(fs.readFileSync(path.join(explicit.root, 'up-active.bin')))).toBe(sha256(payload));
    });

    it('implicit FTPS: TLS from the first byte', async () => {
      const ftp = client(implicit, { secure: 'implicit' });
      expect((await ftp.list()).map((f) => f.name)).toContain('payload.bin');
      expect(sha256(await download(ftp, 'payload.bin', 10))).toBe(sha256(payload.subarray(10)));
      await ftp.upload(Readable.from([payload]), 'up-implicit.bin');
      expect(sha256(fs.readFileSync(path.join(implicit.root, 'up-implicit.bin')))).toBe(sha256(payload));
    });

    it('a certificate the CA does not vouch for is refused, with the reason and where', async () => {
      const wrong = client(explicit, { ca: fs.readFileSync(other.cert) });
      await expect(wrong.connect()).rejects.toMatchObject({
        code: 'ERR_FTP_CLOSED',
        message: expect.stringMatching(/^TLS handshake with 127\.0\.0\.1:\d+ failed: .*self[- ]signed certificate.*\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/),
      });
      // With the system's CAs only, the same.
      const system = client(implicit, { secure: 'implicit', ca: undefined });
      await expect(system.connect()).rejects.toMatchObject({ code: 'ERR_FTP_CLOSED', message: expect.stringMatching(/^TLS handshake with 127\.0\.0\.1:\d+ failed/) });
      // The name is checked too: the certificate is for 127.0.0.1, not for this name.
      const misnamed = client(explicit, { servername: 'ftp.example.org' });
      await expect(misnamed.connect()).rejects.toMatchObject({ message: expect.stringMatching(/ERR_TLS_CERT_ALTNAME_INVALID/) });
    });

    // vsftpd 3.0.3 cannot turn TLS 1.3 off; miniftp can (ssl_tlsv1_3=NO).
    if (kind.name === 'miniftp') it('TLS 1.2: the session from the handshake is resumed by data connections', async () => {
      const tls12 = await kind.start({ tls: { ...certificate, tls13: false } });
      try {
        fs.writeFileSync(path.join(tls12.root, 'payload.bin'), payload);
        tls12.own('payload.bin');
        const ftp = client(tls12);
        expect(sha256(await download(ftp, 'payload.bin', 3))).toBe(sha256(payload.subarray(3)));
        await ftp.upload(Readable.from([payload]), 'up-tls12.bin');
        expect(sha256(fs.readFileSync(path.join(tls12.root, 'up-tls12.bin')))).toBe(sha256(payload));
        await ftp.close();
      } finally {
        await tls12.stop();
      }
    });

    it('rejectUnauthorized: false (ftpfs --insecure) talks to any certificate', async () => {
      const ftp = client(explicit, { ca: undefined, rejectUnauthorized: false });
      expect(sha256(await download(ftp, 'payload.bin'))).toBe(sha256(payload));
    });
  });
}

describe('FtpClient TLS options', () => {
  it('refuses an unknown secure mode', () => {
    expect(() => new FtpClient({ host: '127.0.0.1', secure: 'starttls' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/secure/) }));
  });
});
