// SIGHUP: miniftp reads its configuration again. New sessions get the new
// settings; sessions already running keep theirs, and a download in flight
// completes; a bad file keeps the old settings and the log says why; a new
// listen_port moves the listener; the master stays the same process.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRefused } from '../helpers/connect.js';
import { RawClient, passiveData } from '../helpers/ftp-clients.js';
import { freePort } from '../helpers/ftp-servers.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { bindNotifySocket } from '../helpers/notify-socket.js';
import { isAlive, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';
import { makeCertificate } from '../helpers/tls-certs.js';
import { lacksTools } from '../helpers/tools.js';

const PASSWORD = 'reload-secret';
const BIG = 32 << 20;

async function greet(port: number): Promise<{ client: RawClient; banner: string }> {
  const client = await RawClient.connect(port);
  const [greeting] = await client.replies(1);
  return { client, banner: greeting!.text };
}

async function login(client: RawClient, user: TestUser): Promise<void> {
  expect((await client.command(`USER ${user.name}`)).code).toBe(331);
  expect((await client.command(`PASS ${PASSWORD}`)).code).toBe(230);
}


/**
 * Sets `settings` in the server's configuration file (and `extraLine` after
 * them), sends SIGHUP and returns the reload's log line.
 */
async function reload(server: RunningMiniftp, settings: Record<string, string | number>, extraLine?: string): Promise<string> {
  const configFile = path.join(server.dir, 'miniftp.conf');
  let text = fs.readFileSync(configFile, 'utf8').replace(/^nonsense.*\n/m, '');
  for (const [key, value] of Object.entries(settings)) {
    const line = `${key}=${value}`;
    text = new RegExp(`^${key}=`, 'm').test(text) ? text.replace(new RegExp(`^${key}=.*$`, 'm'), line) : `${text}${line}\n`;
  }
  fs.writeFileSync(configFile, extraLine === undefined ? text : `${text}${extraLine}\n`);
  const lines = (): string[] => fs.readFileSync(server.logFile, 'utf8').split('\n').filter((line) => / RELOAD: /.test(line));
  const seen = lines().length;
  process.kill(server.pid, 'SIGHUP');
  await waitFor(() => lines().length > seen, 20_000, 'the reload\'s log line');
  return lines().at(-1)!;
}

describe.skipIf(!requireRoot('miniftp reload'))('miniftp reload (SIGHUP)', () => {
  let server: RunningMiniftp;
  let user: TestUser;
  let configFile: string;
  const clients: RawClient[] = [];
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    user = createUser('mfrl', PASSWORD);
    const big = path.join(user.home, 'big.bin');
    fs.writeFileSync(big, crypto.randomBytes(BIG));
    fs.chownSync(big, user.uid, user.gid);
    server = await startMiniftp({ ftpd_banner: 'before reload', accept_timeout: 60, spare_workers: 1 });
    configFile = path.join(server.dir, 'miniftp.conf');
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    for (const socket of sockets) socket.destroy();
    await server?.stop();
    user?.remove();
  });

  it('new sessions get the new settings; a session opened before keeps its own, and its download in flight completes', async () => {
    const masterPid = server.pid;
    const before = server.processes();
    expect(before.helper).toHaveLength(1);

    // A logged-in session with a download under way (the client stops reading: the server's send waits).
    const old = await greet(server.port);
    clients.push(old.client);
    expect(old.banner).toBe('before reload');
    await login(old.client, user);
    expect((await old.client.command('TYPE I')).code).toBe(200);
    const data = await passiveData(old.client);
    sockets.push(data);
    const received: Buffer[] = [];
    let bytes = 0;
    const firstBytes = new Promise<void>((resolve) => data.once('data', () => resolve()));
    data.on('data', (chunk: Buffer) => {
      received.push(chunk);
      bytes += chunk.length;
    });
    const ended = new Promise<void>((resolve) => data.once('end', () => resolve()));
    old.client.send('RETR big.bin\r\n');
    expect((await old.client.replies(1))[0]!.code).toBe(150);
    await firstBytes;
    data.pause();
    // A session still before its login.
    const waiting = await greet(server.port);
    clients.push(waiting.client);

    const line = await reload(server, { ftpd_banner: 'after reload', accept_timeout: 90, write_enable: 'YES' });
    expect(line).toMatch(/OK RELOAD: .*changed: .*accept_timeout.*write_enable.*ftpd_banner/);
    expect(bytes).toBeLessThan(BIG);

    // A new session: the new banner, and writes allowed now.
    const fresh = await greet(server.port);
    clients.push(fresh.client);
    expect(fresh.banner).toBe('after reload');
    await login(fresh.client, user);
    expect((await fresh.client.command('MKD made-after-reload')).code).toBe(257);
    // Its data connections go through the new helper.
    expect((await fresh.client.command('TYPE I')).code).toBe(200);
    const list = await passiveData(fresh.client);
    const listing: Buffer[] = [];
    list.on('data', (chunk: Buffer) => listing.push(chunk));
    const listed = new Promise((resolve) => list.once('close', resolve));
    expect((await fresh.client.command('NLST')).code).toBe(150);
    await listed;
    expect((await fresh.client.replies(1))[0]!.code).toBe(226);
    expect(Buffer.concat(listing).toString()).toContain('big.bin');

    // The old session's download completes, whole.
    data.resume();
    await ended;
    expect((await old.client.replies(1, 60_000))[0]!.code).toBe(226);
    expect(crypto.createHash('sha256').update(Buffer.concat(received)).digest('hex'))
      .toBe(crypto.createHash('sha256').update(fs.readFileSync(path.join(user.home, 'big.bin'))).digest('hex'));
    // It keeps its settings (write_enable=NO) and its data connections (through the helper it started with).
    expect((await old.client.command('MKD made-by-old-session')).code).toBe(550);
    const again = await passiveData(old.client);
    sockets.push(again);
    again.resume();
    const againClosed = new Promise((resolve) => again.once('close', resolve));
    expect((await old.client.command('NLST')).code).toBe(150);
    await againClosed;
    expect((await old.client.replies(1))[0]!.code).toBe(226);

    // The session that waited at its login gave it after the reload: it gets the new settings.
    expect(waiting.banner).toBe('before reload');
    await login(waiting.client, user);
    expect((await waiting.client.command('MKD made-by-waiting-session')).code).toBe(257);

    // The same master; the old helper serves the old session until it ends, then exits.
    expect(server.pid).toBe(masterPid);
    expect(isAlive(masterPid)).toBe(true);
    const during = server.processes();
    expect(during.helper).toHaveLength(2);
    expect(during.helper).toContain(before.helper[0]);
    expect((await old.client.command('QUIT')).code).toBe(221);
    await waitFor(() => !isAlive(before.helper[0]!), 10_000, 'the old helper to exit after its last session');
    expect(server.processes().helper).toHaveLength(1);
  });

  it('a file with a syntax error keeps the old settings, and the log says why with the file and line', async () => {
    const lineCount = fs.readFileSync(configFile, 'utf8').split('\n').length;
    const line = await reload(server, { ftpd_banner: 'never served' }, 'nonsense without an equals sign');
    expect(line).toContain('FAIL RELOAD');
    expect(line).toContain(`${configFile}:${lineCount}: `);
    // The same on standard error (its pipe may bring it a moment after the log file has it).
    await waitFor(() => server.output().includes(`the old settings stay: ${configFile}:${lineCount}: `), 10_000, 'the reason on standard error');
    const { client, banner } = await greet(server.port);
    clients.push(client);
    expect(banner).toBe('after reload');
    expect(isAlive(server.pid)).toBe(true);
  });

  it('a setting that fails the start-up checks keeps the old settings too', async () => {
    const line = await reload(server, { ftpd_banner: 'never served either', banner_file: path.join(server.dir, 'no-such-banner') });
    expect(line).toMatch(/FAIL RELOAD: .*banner_file: cannot read it: ENOENT/);
    const { client, banner } = await greet(server.port);
    clients.push(client);
    expect(banner).toBe('after reload');
    // Back to a good file.
    const text = fs.readFileSync(configFile, 'utf8').replace(/^banner_file=.*\n/m, '');
    fs.writeFileSync(configFile, text);
  });

  it('a new listen_port moves the listener: the new port accepts, the old one refuses', async () => {
    const oldPort = server.port;
    const newPort = await freePort();
    const line = await reload(server, { listen_port: newPort, ftpd_banner: 'after reload' });
    expect(line).toMatch(/OK RELOAD: .*changed: listen_port/);
    const { client, banner } = await greet(newPort);
    clients.push(client);
    expect(banner).toBe('after reload');
    await login(client, user);
    expect(await isRefused(oldPort)).toBe(true);
    server.port = newPort;
  });

  it('a listen_port that cannot be bound keeps the old listener and says why', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const takenPort = (taken.address() as net.AddressInfo).port;
      const line = await reload(server, { listen_port: takenPort, ftpd_banner: 'not with that port' });
      expect(line).toMatch(/FAIL RELOAD: .*EADDRINUSE/);
      const { client, banner } = await greet(server.port);
      clients.push(client);
      expect(banner).toBe('after reload');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('opens its log again at every reload, changed or not: logrotate moves the file away, then sends SIGHUP', async () => {
    // A clean file again (the test before left a port that was taken).
    await reload(server, { listen_port: server.port, ftpd_banner: 'after reload' });
    const rotated = `${server.logFile}.1`;
    fs.renameSync(server.logFile, rotated);
    process.kill(server.pid, 'SIGHUP');
    const current = (): string => (fs.existsSync(server.logFile) ? fs.readFileSync(server.logFile, 'utf8') : '');
    await waitFor(() => / OK RELOAD: configuration read again, nothing changed/.test(current()), 20_000, 'the reload\'s line in a new log file');
    const moved = fs.readFileSync(rotated, 'utf8');
    const { client } = await greet(server.port);
    await login(client, user);
    clients.push(client);
    await waitFor(() => new RegExp(`OK LOGIN: Client "127\\.0\\.0\\.1"`).test(current()), 10_000, 'the login in the new file');
    // Nothing more went to the file logrotate moved away.
    expect(fs.readFileSync(rotated, 'utf8')).toBe(moved);
    fs.rmSync(rotated);
  });

  it('max_clients counts for the connections after the reload', async () => {
    const line = await reload(server, { listen_port: server.port, ftpd_banner: 'after reload', max_clients: 1 });
    expect(line).toMatch(/OK RELOAD: .*changed: max_clients/);
    const first = await greet(server.port);
    clients.push(first.client);
    const second = await greet(server.port);
    clients.push(second.client);
    expect([first.banner, second.banner].filter((banner) => /too many connected users/.test(banner)).length).toBeGreaterThan(0);
  });
});

// The SHA-256 fingerprint of the certificate a TLS client was shown.
function servedCertificate(client: RawClient): string {
  return (client.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
}

describe.skipIf(!requireRoot('miniftp reload with TLS') || lacksTools('miniftp reload with TLS', 'openssl'))('miniftp reload: a new certificate', () => {
  const scratch = scratchDir('miniftp-reload-tls-');
  let server: RunningMiniftp;
  let user: TestUser;
  const clients: RawClient[] = [];

  async function tlsLogin(): Promise<RawClient> {
    const raw = await RawClient.connect(server.port);
    await raw.replies(1);
    expect((await raw.command('AUTH TLS')).code).toBe(234);
    const client = await raw.startTls();
    clients.push(client);
    await login(client, user);
    expect((await client.command('PBSZ 0')).code).toBe(200);
    expect((await client.command('PROT P')).code).toBe(200);
    return client;
  }

  // NLST over PROT P, the data connection resuming the control connection's TLS session (require_ssl_reuse).
  async function listOverTls(client: RawClient): Promise<string> {
    const raw = await passiveData(client);
    client.send('NLST\r\n');
    const secure = tls.connect({ socket: raw, session: (client.socket as tls.TLSSocket).getSession(), rejectUnauthorized: false });
    secure.on('error', () => {});
    const chunks: Buffer[] = [];
    secure.on('data', (chunk: Buffer) => chunks.push(chunk));
    try {
      await once(secure, 'end');
      const replies = await client.replies(2);
      expect(replies.map((reply) => reply.code)).toEqual([150, 226]);
      return Buffer.concat(chunks).toString();
    } finally {
      secure.destroy();
    }
  }

  beforeAll(async () => {
    user = createUser('mfrt', PASSWORD);
    fs.writeFileSync(path.join(user.home, 'listed.txt'), 'x');
    const first = makeCertificate(scratch.path, 'first');
    server = await startMiniftp({ ssl_enable: 'YES', rsa_cert_file: first.cert, rsa_private_key_file: first.key, require_ssl_reuse: 'YES' });
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
    user?.remove();
    scratch.remove();
  });

  it('new sessions get the new certificate from a new TLS gate; a session before keeps its gate, and its PROT P data connections resume there', async () => {
    const old = await tlsLogin();
    const firstCert = servedCertificate(old);
    const [oldGate] = server.processes().gate;
    expect(oldGate).toBeDefined();
    expect(await listOverTls(old)).toContain('listed.txt');

    const second = makeCertificate(scratch.path, 'second');
    const line = await reload(server, { rsa_cert_file: second.cert, rsa_private_key_file: second.key });
    expect(line).toMatch(/OK RELOAD: .*changed: rsa_cert_file, rsa_private_key_file/);

    const fresh = await tlsLogin();
    expect(servedCertificate(fresh)).toBe(new crypto.X509Certificate(fs.readFileSync(second.cert)).fingerprint256);
    expect(servedCertificate(fresh)).not.toBe(firstCert);
    expect(await listOverTls(fresh)).toContain('listed.txt');
    // The old session's data connection resumes its TLS session: only the old gate knows it.
    expect(await listOverTls(old)).toContain('listed.txt');
    expect(server.processes().gate).toHaveLength(2);
    expect(server.processes().gate).toContain(oldGate);
    expect((await old.command('QUIT')).code).toBe(221);
    await waitFor(() => !isAlive(oldGate!), 10_000, 'the old TLS gate to exit after its last session');
    expect(await listOverTls(fresh)).toContain('listed.txt');
  });
});

describe.skipIf(!requireRoot('miniftp reload of the PROXY protocol'))('miniftp reload: proxy_protocol_enable', () => {
  let server: RunningMiniftp;

  beforeAll(async () => {
    server = await startMiniftp({});
  });

  afterAll(async () => {
    await server?.stop();
  });

  // What a connection that first sends `first` gets: the greeting's code, or null when it is closed without one.
  async function greetingAfter(first: string): Promise<number | null> {
    const client = await RawClient.connect(server.port);
    try {
      client.send(first);
      const [reply] = await client.replies(1);
      return reply?.code ?? null;
    } finally {
      client.destroy();
    }
  }

  it('turned on by a reload: new connections must start with a header from a trusted address, whose client is logged', async () => {
    expect(await greetingAfter('NOOP\r\n')).toBe(220);
    const line = await reload(server, { proxy_protocol_enable: 'YES', proxy_protocol_trusted: '127.0.0.1/32' });
    expect(line).toMatch(/OK RELOAD: .*changed: proxy_protocol_enable, proxy_protocol_trusted/);
    expect(await greetingAfter('NOOP\r\n')).toBeNull();
    expect(await greetingAfter('PROXY TCP4 192.0.2.7 127.0.0.1 50000 21\r\n')).toBe(220);
    await waitFor(() => /CONNECT: Client "192\.0\.2\.7"/.test(fs.readFileSync(server.logFile, 'utf8')), 10_000, 'the proxied client in the log');
    // And off again.
    expect(await reload(server, { proxy_protocol_enable: 'NO' })).toMatch(/OK RELOAD: .*changed: proxy_protocol_enable/);
    expect(await greetingAfter('NOOP\r\n')).toBe(220);
  });
});

describe.skipIf(!requireRoot('miniftp reload under systemd') || lacksTools('miniftp reload under systemd', 'systemd-socket-activate'))('miniftp reload under systemd', () => {
  const dir = scratchDir('miniftp-reload-systemd-');
  afterAll(() => dir.remove());

  it('says RELOADING=1 then READY=1; the socket unit\'s address cannot change, and the old settings stay', async () => {
    const notify = bindNotifySocket(dir.path);
    const activated = await freePort();
    let server: RunningMiniftp | null = null;
    try {
      const starting = startMiniftp({ ftpd_banner: 'from systemd' }, {
        launcher: ['systemd-socket-activate', `--listen=127.0.0.1:${activated}`, `--setenv=NOTIFY_SOCKET=${notify.address}`],
      });
      // The first connection execs miniftp; it waits in the backlog meanwhile.
      let first: { client: RawClient; banner: string } | null = null;
      for (let i = 0; i < 200 && !first; i++) {
        first = await greet(activated).catch(() => null);
        if (!first) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      server = await starting;
      expect(first?.banner).toBe('from systemd');
      first?.client.destroy();
      await notify.waitFor('READY=1');

      const line = await reload(server, { ftpd_banner: 'reloaded under systemd' });
      expect(line).toMatch(/OK RELOAD: .*changed: ftpd_banner/);
      expect(await notify.waitFor('RELOADING=1')).toMatch(/^MONOTONIC_USEC=\d+$/m);
      expect(await notify.waitFor('READY=1')).toContain(`MAINPID=${server.pid}`);
      const after = await greet(activated);
      after.client.destroy();
      expect(after.banner).toBe('reloaded under systemd');

      const refused = await reload(server, { listen_port: await freePort(), ftpd_banner: 'never served' });
      expect(refused).toMatch(/FAIL RELOAD: .*listen_port cannot change while the listener is systemd's/);
      expect(await notify.waitFor('RELOADING=1')).toContain('RELOADING=1');
      expect(await notify.waitFor('READY=1')).toContain('READY=1');
      const still = await greet(activated);
      still.client.destroy();
      expect(still.banner).toBe('reloaded under systemd');
    } finally {
      await server?.stop();
      notify.close();
    }
  });
});
