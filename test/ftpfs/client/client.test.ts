// The FTP client against real servers on 127.0.0.1 (each kind in
// test/helpers/ftp-servers.ts: vsftpd now): login, directories, renames,
// sizes and times, listings, transfers with resume and progress, both data
// connection modes, errors with reply codes, and a new login after the
// server ended an idle session.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { FdHandle } from 'privsep';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpClient, FtpClientPool, FtpError, type TransferProgress } from '../../../examples/ftpfs/client/index.js';
import { serverKinds, type FtpTestServer } from '../../helpers/ftp-servers.js';
import { openFdCount } from '../../helpers/process.js';

/** A Writable that keeps everything. */
function sink(): Writable & { bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return Object.assign(stream, { bytes: () => Buffer.concat(chunks) });
}

async function download(client: FtpClient, remote: string, options: { startAt?: number } = {}): Promise<Buffer> {
  const out = sink();
  await client.download(remote, out, options);
  return out.bytes();
}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** Runs `fn` with a local file (holding `content`, or empty) open read-write as an FdHandle; removes it after. */
async function withLocalFile(content: Buffer | null, fn: (fd: FdHandle, local: string) => Promise<void>): Promise<void> {
  const local = path.join(fs.mkdtempSync('/tmp/ftpfs-local-'), 'copy');
  if (content) fs.writeFileSync(local, content);
  const fd = new FdHandle(fs.openSync(local, content ? 'r+' : 'w+'));
  try {
    await fn(fd, local);
  } finally {
    fd.close();
    fs.rmSync(path.dirname(local), { recursive: true, force: true });
  }
}

for (const kind of serverKinds) {
  const why = kind.unavailable();
  if (why) console.log(`skipping the FTP client against ${kind.name}: ${why}`);

  describe.skipIf(why !== null)(`FtpClient against ${kind.name}`, () => {
    let server: FtpTestServer;
    const clients: FtpClient[] = [];
    const connect = async (options: Partial<ConstructorParameters<typeof FtpClient>[0]> = {}): Promise<FtpClient> => {
      const client = new FtpClient({ host: server.host, port: server.port, user: server.user, password: server.password, timeoutMs: 10_000, ...options });
      clients.push(client);
      await client.connect();
      return client;
    };

    beforeAll(async () => {
      server = await kind.start();
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server?.stop();
    });

    it('logs in and reads the features', async () => {
      const client = await connect();
      expect(client.connected).toBe(true);
      expect(client.features.has('EPSV')).toBe(true);
      expect(client.features.has('SIZE')).toBe(true);
      expect(client.features.has('MDTM')).toBe(true);
      expect(client.features.get('REST')).toBe('STREAM');
      expect(await client.pwd()).toBe('/');
    });

    it('a wrong password is an FtpError with code 530', async () => {
      const client = new FtpClient({ host: server.host, port: server.port, user: server.user, password: 'wrong', timeoutMs: 10_000 });
      clients.push(client);
      await expect(client.connect()).rejects.toMatchObject({ name: 'FtpError', code: 530 });
      expect(client.connected).toBe(false);
    });

    it('makes, enters, lists, renames and removes directories and files', async () => {
      const client = await connect();
      expect(await client.mkdir('/work')).toBe('/work');
      await client.cd('/work');
      expect(await client.pwd()).toBe('/work');
      await client.upload(Readable.from([Buffer.from('one\n')]), 'a.txt');
      await client.mkdir('sub');
      const listing = await client.list();
      expect(listing.map((e) => [e.name, e.type, e.size]).sort()).toEqual([['a.txt', 'file', 4], ['sub', 'directory', expect.any(Number)]]);
      expect(listing.find((e) => e.name === 'a.txt')!.mode).toBe(0o644);
      await client.rename('a.txt', 'sub/b.txt');
      expect((await client.list('/work/sub')).map((e) => e.name)).toEqual(['b.txt']);
      expect(await client.size('/work/sub/b.txt')).toBe(4);
      const modified = await client.lastModified('/work/sub/b.txt');
      expect(Math.abs(modified.getTime() - Date.now())).toBeLessThan(24 * 3600 * 1000);
      await client.remove('/work/sub/b.txt');
      await client.rmdir('/work/sub');
      await client.cd('/');
      await client.rmdir('/work');
      expect((await client.list('/')).map((e) => e.name)).not.toContain('work');
      expect(client.connections).toBe(1);
    });

    it('lists dot files, names with spaces, and empty directories', async () => {
      fs.mkdirSync(path.join(server.root, 'odd'));
      fs.writeFileSync(path.join(server.root, 'odd', '.hidden'), 'h');
      fs.writeFileSync(path.join(server.root, 'odd', ' two  spaces '), 'ss');
      fs.mkdirSync(path.join(server.root, 'odd', 'empty'));
      server.own('odd');
      const client = await connect();
      expect((await client.list('/odd')).map((e) => e.name).sort()).toEqual([' two  spaces ', '.hidden', 'empty']);
      expect(await client.list('/odd/empty')).toEqual([]);
      expect(await download(client, '/odd/ two  spaces ')).toEqual(Buffer.from('ss'));
    });

    it('failures carry the reply code and text, and the session goes on', async () => {
      const client = await connect();
      const missing = await client.remove('/no-such-file').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(FtpError);
      expect(missing).toMatchObject({ code: 550, text: expect.any(String) });
      await expect(client.size('/no-such-file')).rejects.toMatchObject({ code: 550 });
      await expect(download(client, '/no-such-file')).rejects.toMatchObject({ code: 550 });
      await expect(client.cd('/no-such-dir')).rejects.toMatchObject({ code: 550 });
      await expect(client.send('XYZZY')).rejects.toMatchObject({ code: 500 });
      expect(await client.pwd()).toBe('/');
      expect(client.connections).toBe(1);
    });

    it('refuses names with CR, LF or NUL before sending anything', async () => {
      const client = await connect();
      fs.writeFileSync(path.join(server.root, 'keep.txt'), 'k');
      server.own('keep.txt');
      await expect(client.remove('x\r\nDELE keep.txt')).rejects.toMatchObject({ code: 'ERR_FTP_CONTROL_CHARACTER' });
      await expect(client.remove('x\0y')).rejects.toMatchObject({ code: 'ERR_FTP_NUL_BYTE' });
      expect(fs.existsSync(path.join(server.root, 'keep.txt'))).toBe(true);
      expect(await client.pwd()).toBe('/');
    });

    for (const dataMode of ['passive', 'active'] as const) {
      it(`uploads and downloads 3 MiB in ${dataMode} mode, with progress events`, async () => {
        const client = await connect({ dataMode });
        const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
        const progress: TransferProgress[] = [];
        client.on('progress', (p: TransferProgress) => progress.push(p));
        expect(await client.upload(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), `/${dataMode}.bin`)).toBe(data.length);
        expect(sha256(fs.readFileSync(path.join(server.root, `${dataMode}.bin`)))).toBe(sha256(data));
        expect(sha256(await download(client, `/${dataMode}.bin`))).toBe(sha256(data));
        const uploads = progress.filter((p) => p.type === 'upload').map((p) => p.bytes);
        const downloads = progress.filter((p) => p.type === 'download').map((p) => p.bytes);
        for (const series of [uploads, downloads]) {
          expect(series.length).toBeGreaterThan(1);
          expect(series).toEqual([...series].sort((a, b) => a - b));
          expect(series.at(-1)).toBe(data.length);
        }
        expect(client.connections).toBe(1);
      });

      it(`uploads the first bytes of a file descriptor in ${dataMode} mode; the caller's descriptor stays its own`, async () => {
        const client = await connect({ dataMode });
        const data = crypto.randomBytes(2 * 1024 * 1024 + 9);
        await withLocalFile(data, async (fd) => {
          const sent: number[] = [];
          const fds = openFdCount();
          // Not the whole file: what the copy holds past `size` stays local.
          expect(await client.uploadFromFile(fd, data.length - 9, `/${dataMode}-up.bin`, { onProgress: (n) => sent.push(n) })).toBe(data.length - 9);
          expect(sent.at(-1)).toBe(data.length - 9);
          expect(sha256(fs.readFileSync(path.join(server.root, `${dataMode}-up.bin`)))).toBe(sha256(data.subarray(0, data.length - 9)));
          expect(await client.uploadFromFile(fd, 0, `/${dataMode}-empty.bin`)).toBe(0);
          expect(fs.statSync(path.join(server.root, `${dataMode}-empty.bin`)).size).toBe(0);
          // Refused (no such directory): the control connection stays in step.
          await expect(client.uploadFromFile(fd, 100, '/no/such/dir/x.bin')).rejects.toMatchObject({ code: 553 });
          expect(await client.pwd()).toBe('/');
          expect(fs.fstatSync(fd.fd).size).toBe(data.length);
          expect(openFdCount()).toBe(fds);
        });
      });

      it(`downloads into a file descriptor in ${dataMode} mode, from an offset, and reports bytes in the file`, async () => {
        const client = await connect({ dataMode });
        const data = crypto.randomBytes(2 * 1024 * 1024 + 5);
        fs.writeFileSync(path.join(server.root, `${dataMode}-fd.bin`), data);
        server.own(`${dataMode}-fd.bin`);
        await withLocalFile(null, async (fd, local) => {
          const written: number[] = [];
          const fds = openFdCount();
          expect(await client.downloadToFile(`/${dataMode}-fd.bin`, fd, { onProgress: (n) => written.push(n) })).toBe(data.length);
          expect(written.at(-1)).toBe(data.length);
          expect(sha256(fs.readFileSync(local))).toBe(sha256(data));
          fs.ftruncateSync(fd.fd, 1000);
          expect(await client.downloadToFile(`/${dataMode}-fd.bin`, fd, { startAt: 1000 })).toBe(data.length - 1000);
          expect(sha256(fs.readFileSync(local))).toBe(sha256(data));
          await expect(client.downloadToFile('/missing.bin', fd)).rejects.toMatchObject({ code: 550 });
          expect(await client.pwd()).toBe('/');
          // The caller's descriptor stays open and its own; the duplicates written through are closed.
          expect(fs.fstatSync(fd.fd).size).toBe(data.length);
          expect(openFdCount()).toBe(fds);
        });
      });
    }

    it('resumes a download (REST) and an upload (REST + STOR, APPE)', async () => {
      const client = await connect();
      const data = crypto.randomBytes(256 * 1024);
      fs.writeFileSync(path.join(server.root, 'resume.bin'), data);
      server.own('resume.bin');
      expect(await download(client, '/resume.bin', { startAt: 100_000 })).toEqual(data.subarray(100_000));
      await client.upload(Readable.from([data.subarray(0, 50_000)]), '/partial.bin');
      await client.upload(Readable.from([data.subarray(50_000, 120_000)]), '/partial.bin', { startAt: 50_000 });
      await client.upload(Readable.from([data.subarray(120_000)]), '/partial.bin', { append: true });
      expect(sha256(fs.readFileSync(path.join(server.root, 'partial.bin')))).toBe(sha256(data));
      expect(client.connections).toBe(1);
    });

    it('TYPE A transfers text with CRLF line ends on the wire; TYPE I byte for byte', async () => {
      const client = await connect();
      fs.writeFileSync(path.join(server.root, 'text.txt'), 'one\ntwo\n');
      server.own('text.txt');
      await client.type('A');
      expect((await download(client, '/text.txt')).toString()).toBe('one\r\ntwo\r\n');
      await client.type('I');
      expect((await download(client, '/text.txt')).toString()).toBe('one\ntwo\n');
    });

    it('STAT answers on the control connection', async () => {
      const client = await connect();
      expect(await client.status()).toMatch(/.+/);
    });

    it('an aborted download stops, and the connection stays in step', async () => {
      const client = await connect();
      fs.writeFileSync(path.join(server.root, 'abort.bin'), crypto.randomBytes(8 * 1024 * 1024));
      server.own('abort.bin');
      const controller = new AbortController();
      const slow = new Writable({
        highWaterMark: 1024,
        write(_chunk, _encoding, callback) {
          controller.abort();
          setTimeout(callback, 5);
        },
      });
      await expect(client.download('/abort.bin', slow, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(await client.pwd()).toBe('/');
      expect(await client.size('/abort.bin')).toBe(8 * 1024 * 1024);
    });

    it('a pool keeps a connection for commands while transfers run', async () => {
      fs.writeFileSync(path.join(server.root, 'long.bin'), crypto.randomBytes(4 * 1024 * 1024));
      server.own('long.bin');
      const pool = new FtpClientPool({ host: server.host, port: server.port, user: server.user, password: server.password, maxConnections: 2, timeoutMs: 10_000 });
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let started!: () => void;
        const running = new Promise<void>((resolve) => (started = resolve));
        // A download whose destination waits: its connection stays busy.
        const stalled = new Writable({
          highWaterMark: 1024,
          write(_chunk, _encoding, callback) {
            started();
            held.then(() => callback());
          },
        });
        const transfer = pool.use('transfer', (client) => client.download('/long.bin', stalled));
        await running;
        // A second transfer must wait for the first; a command does not.
        let second = false;
        const queued = pool.use('transfer', async (client) => {
          second = true;
          return client.size('/long.bin');
        });
        const listing = await pool.use('command', (client) => client.list('/'));
        expect(listing.map((e) => e.name)).toContain('long.bin');
        expect(second).toBe(false);
        release();
        expect(await transfer).toBe(4 * 1024 * 1024);
        expect(await queued).toBe(4 * 1024 * 1024);
        expect(pool.size).toBe(2);
      } finally {
        await pool.close();
      }
    });

    it('logs in again after the server ended an idle session', async () => {
      const idle = await kind.start({ idleSessionTimeout: 1 });
      const client = new FtpClient({ host: idle.host, port: idle.port, user: idle.user, password: idle.password, timeoutMs: 10_000 });
      try {
        await client.connect();
        await client.cd('/');
        fs.mkdirSync(path.join(idle.root, 'here'));
        idle.own('here');
        await client.cd('/here');
        const deadline = Date.now() + 15_000;
        while (client.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(client.connected).toBe(false);
        expect(await client.pwd()).toBe('/here');
        expect(client.connections).toBe(2);
      } finally {
        await client.close();
        await idle.stop();
      }
    });
  });
}
