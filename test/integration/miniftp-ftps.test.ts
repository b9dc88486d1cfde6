// FTPS against the real miniftp with real clients: AUTH TLS (curl
// --ssl-reqd, lftp, Python's FTP_TLS) and implicit FTPS (curl ftps://),
// PROT P transfers byte for byte, require_ssl_reuse, the login and data
// policies, bytes pipelined after AUTH TLS, the TLS gate's confinement, who
// holds the private key (read from /proc/PID/mem as root), a gate that dies,
// and strict_ssl_read_eof (an upload cut by a bare FIN).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../examples/ftp/index.js';
import { transportOver } from '../../examples/miniftp/gate/close-notify-watch.js';
import { curl, ftplibSteps, lftp, passiveData, RawClient, sha256File } from '../helpers/ftp-clients.js';
import { createUser, processIdentity, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { scratchDir, type ScratchDir } from '../helpers/scratch.js';
import { makeCertificate } from '../helpers/tls-certs.js';
import { lacksTools, needTools } from '../helpers/tools.js';

const PASSWORD = 'tls-secret';

/** Every readable mapping of process `pid` searched for `needle` (as root: /proc/PID/mem). */
function memoryHolds(pid: number, needle: Buffer): boolean {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
      if (!m || line.includes('[vvar]') || line.includes('[vsyscall]')) continue;
      const start = parseInt(m[1]!, 16);
      const end = parseInt(m[2]!, 16);
      const chunk = Buffer.alloc(Math.min(end - start, 16 << 20) + needle.length);
      // Chunks overlap by the needle's length, so that no match is cut in two.
      for (let at = start; at < end; at += chunk.length - needle.length) {
        let got: number;
        try {
          got = fs.readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at);
        } catch {
          break; // a mapping that cannot be read (a guard page)
        }
        if (chunk.subarray(0, got).includes(needle)) return true;
      }
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** A session logged in over AUTH TLS, each step checked. */
async function tlsLogin(port: number, name: string): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  await raw.replies(1);
  expect((await raw.command('AUTH TLS')).code).toBe(234);
  const secure = await raw.startTls();
  expect((await secure.command(`USER ${name}`)).code).toBe(331);
  expect((await secure.command(`PASS ${PASSWORD}`)).code).toBe(230);
  return secure;
}

describe.skipIf(!requireRoot('miniftp FTPS') || lacksTools('miniftp FTPS', 'openssl'))('miniftp FTPS', () => {
  let scratch: ScratchDir;
  let user: TestUser;
  let cert: string;
  let key: string;
  let keyMarker: Buffer;
  let payload: string;
  let server: RunningMiniftp;

  const tlsSettings = (): Record<string, string> => ({ ssl_enable: 'YES', rsa_cert_file: cert, rsa_private_key_file: key, write_enable: 'YES' });

  beforeAll(async () => {
    scratch = scratchDir('miniftp-ftps-');
    cert = path.join(scratch.path, 'cert.pem');
    key = path.join(scratch.path, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    fs.chmodSync(key, 0o600);
    // A line of the key's PEM body: what the gate parses, and what no worker may hold.
    keyMarker = Buffer.from(fs.readFileSync(key, 'utf8').split('\n')[5]!);
    user = createUser('mftls', PASSWORD);
    payload = path.join(scratch.path, 'payload.bin');
    fs.writeFileSync(payload, crypto.randomBytes(3 << 20));
    fs.copyFileSync(payload, path.join(user.home, 'payload.bin'));
    fs.chownSync(path.join(user.home, 'payload.bin'), user.uid, user.gid);
    server = await startMiniftp(tlsSettings());
  });

  afterAll(async () => {
    await server?.stop();
    user?.remove();
    scratch?.remove();
  });

  const url = (port: number, file = '', scheme = 'ftp'): string => `${scheme}://127.0.0.1:${port}/${file}`;

  it('curl --ssl-reqd: AUTH TLS, PROT P, STOR, LIST and RETR byte for byte', async (context) => {
    needTools(context, 'curl');
    const auth = ['--ssl-reqd', '--insecure', '--user', `${user.name}:${PASSWORD}`];
    await curl([...auth, '--upload-file', payload, url(server.port, 'up-curl.bin')]);
    expect(sha256File(path.join(user.home, 'up-curl.bin'))).toBe(sha256File(payload));
    const { stdout: listing } = await curl([...auth, url(server.port)]);
    expect(listing).toMatch(/ up-curl\.bin\n/);
    const out = path.join(scratch.path, 'down-curl.bin');
    const { stderr } = await curl([...auth, '--verbose', '--output', out, url(server.port, 'payload.bin')]);
    expect(sha256File(out)).toBe(sha256File(payload));
    expect(stderr).toMatch(/< 234 /);
    expect(stderr).toMatch(/< 200 PROT now Private/);
  });

  it('openssl s_client -starttls ftp: a whole session over TLS', () => {
    const out = execFileSync('openssl', ['s_client', '-starttls', 'ftp', '-connect', `127.0.0.1:${server.port}`, '-quiet', '-crlf', '-ign_eof'], {
      input: `USER ${user.name}\nPASS ${PASSWORD}\nPWD\nQUIT\n`, timeout: 30_000, stdio: ['pipe', 'pipe', 'ignore'],
    }).toString();
    expect(out.split('\r\n').filter(Boolean).map((line) => line.slice(0, 3))).toEqual(['331', '230', '257', '221']);
  });

  it('TLS 1.2: curl resumes by session id, and the data connection is served', async (context) => {
    needTools(context, 'curl');
    const { stdout, stderr } = await curl(['--ssl-reqd', '--insecure', '--tls-max', '1.2', '--verbose', '--user', `${user.name}:${PASSWORD}`, url(server.port)]);
    expect(stderr).toMatch(/SSL connection using TLSv1\.2/);
    expect(stderr).toMatch(/SSL re-using session ID/);
    expect(stdout).toMatch(/ payload\.bin\n/);
  });

  it('a TLS control connection carries the whole session; FEAT lists AUTH TLS, PBSZ and PROT', async () => {
    const plain = await RawClient.connect(server.port);
    await plain.replies(1);
    const feat = await plain.command('FEAT');
    expect(feat.text).toMatch(/AUTH TLS/);
    expect(feat.text).toMatch(/\bPBSZ\b/);
    expect(feat.text).toMatch(/\bPROT\b/);
    // force_local_logins_ssl (vsftpd's default): no password in clear text.
    expect(await plain.command(`USER ${user.name}`)).toMatchObject({ code: 530, text: 'Non-anonymous sessions must use encryption.' });
    expect(await plain.command('PBSZ 0')).toMatchObject({ code: 503 });
    expect((await plain.command('AUTH TLS')).code).toBe(234);
    const client = await plain.startTls();
    // Pipelined inside TLS, the commands after PASS survive the hand-over to the user's worker.
    client.send(`USER ${user.name}\r\nPASS ${PASSWORD}\r\nPWD\r\n`);
    expect((await client.replies(3)).map((r) => r.code)).toEqual([331, 230, 257]);
    expect((await client.command('AUTH TLS')).code).toBe(503);
    expect((await client.command('PROT P')).code).toBe(503);
    expect(await client.command('PBSZ 0')).toMatchObject({ code: 200, text: 'PBSZ=0' });
    expect((await client.command('PROT S')).code).toBe(536);
    // CCC (back to clear text): not offered, as in vsftpd.
    expect((await client.command('CCC')).code).toBe(500);
    // force_local_data_ssl (vsftpd's default): no transfer in clear text.
    expect((await client.command('PROT C')).code).toBe(200);
    expect(await client.command('LIST')).toMatchObject({ code: 522, text: 'Data connections must be encrypted.' });
    const stat = await client.command('STAT');
    expect(stat.text).toMatch(/Control connection is encrypted/);
    expect((await client.command('QUIT')).code).toBe(221);
    client.destroy();
  });

  it('bytes pipelined after AUTH TLS, before the handshake, are never executed', async () => {
    const plain = await RawClient.connect(server.port);
    await plain.replies(1);
    // The STARTTLS injection: a USER sent in clear text behind AUTH TLS, in one write.
    plain.send(`AUTH TLS\r\nUSER ${user.name}\r\n`);
    expect((await plain.replies(1))[0]!.code).toBe(234);
    const client = await plain.startTls();
    expect(await client.command(`PASS ${PASSWORD}`)).toMatchObject({ code: 503, text: 'Login with USER first.' });
    expect((await client.command('NOOP')).code).toBe(200);
    client.destroy();
  });

  it('Python FTP_TLS with PROT P: no session reuse gets 522 and no transfer under require_ssl_reuse; reuse works', async () => {
    const upload = path.join(scratch.path, 'small.txt');
    fs.writeFileSync(upload, 'small\n');
    const plan = { user: user.name, password: PASSWORD, tls: true, prot: 'P' as const, steps: [
      { op: 'list', verb: 'NLST' },
      { op: 'stor', path: 'py-up.txt', src: upload },
      { op: 'cmd', line: 'NOOP' },
    ] };
    const refused = await ftplibSteps(server.port, { ...plan, reuse: false });
    expect(refused.slice(2)).toEqual([
      { error: '522 SSL connection failed: session reuse required.' },
      { error: '522 SSL connection failed: session reuse required.' },
      { reply: '200 NOOP ok.' },
    ]);
    expect(fs.statSync(path.join(user.home, 'py-up.txt')).size).toBe(0);
    const resumed = await ftplibSteps(server.port, { ...plan, reuse: true });
    expect(resumed[2]!.text).toMatch(/payload\.bin/);
    expect(resumed[3]!.reply).toMatch(/^226 /);
    expect(fs.readFileSync(path.join(user.home, 'py-up.txt'), 'utf8')).toBe('small\n');
  });

  it('lftp with ftp:ssl-force and ftp:ssl-protect-data', async (context) => {
    needTools(context, 'lftp');
    const out = path.join(scratch.path, 'down-lftp.bin');
    const { stdout } = await lftp(server.port, user.name, PASSWORD, [
      'ls', `get payload.bin -o ${out}`, `put ${payload} -o up-lftp.bin`,
    ], 120_000, ['set ftp:ssl-allow yes', 'set ftp:ssl-force yes', 'set ftp:ssl-protect-data yes', 'set ssl:verify-certificate no']);
    expect(stdout).toMatch(/payload\.bin/);
    expect(sha256File(out)).toBe(sha256File(payload));
    expect(sha256File(path.join(user.home, 'up-lftp.bin'))).toBe(sha256File(payload));
  });

  it('the gate runs as gate_uid, chrooted, without capabilities, in a network namespace of its own', () => {
    const [gate] = server.processes().gate;
    expect(gate).toBeGreaterThan(0);
    const who = processIdentity(gate!);
    expect(who.Uid).toBe('65531\t65531\t65531\t65531');
    expect(who.CapEff).toBe('0000000000000000');
    expect(who.CapPrm).toBe('0000000000000000');
    expect(who.NoNewPrivs).toBe('1');
    expect(who.root).toBe(path.join(server.dir, 'empty'));
    expect(who.net).not.toBe(fs.readlinkSync('/proc/self/ns/net'));
  });

  it('the private key is in the gate\'s memory and in no worker\'s', async () => {
    // A logged-in TLS session with a transfer: its user worker is running.
    const secure = await tlsLogin(server.port, user.name);
    const { gate, workers } = server.processes();
    const userWorker = workers.find((pid) => processIdentity(pid).Uid.startsWith(`${user.uid}\t`));
    expect(userWorker).toBeGreaterThan(0);
    // The search finds the key where it is: it would find it in a worker too.
    expect(memoryHolds(gate[0]!, keyMarker)).toBe(true);
    for (const pid of workers) expect(memoryHolds(pid, keyMarker), `worker ${pid}`).toBe(false);
    secure.destroy();
  });
});

describe.skipIf(!requireRoot('miniftp FTPS') || lacksTools('miniftp FTPS', 'openssl'))('miniftp FTPS: implicit TLS, policies, a gate that dies', () => {
  let scratch: ScratchDir;
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(() => {
    scratch = scratchDir('miniftp-ftps2-');
    const cert = path.join(scratch.path, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', cert, '-out', path.join(scratch.path, 'only-cert.pem'), '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    // One file with the key and the certificate: rsa_private_key_file unset.
    fs.appendFileSync(cert, fs.readFileSync(path.join(scratch.path, 'only-cert.pem')));
    settings = { ssl_enable: 'YES', rsa_cert_file: cert, write_enable: 'YES' };
    user = createUser('mftli', PASSWORD);
    fs.writeFileSync(path.join(user.home, 'hello.txt'), 'hello over TLS\n');
  });

  afterAll(() => {
    user?.remove();
    scratch?.remove();
  });

  it('implicit_ssl: curl ftps:// lists, downloads and uploads', async (context) => {
    needTools(context, 'curl');
    const server = await startMiniftp({ ...settings, implicit_ssl: 'YES' });
    try {
      const auth = ['--insecure', '--user', `${user.name}:${PASSWORD}`];
      const base = `ftps://127.0.0.1:${server.port}/`;
      expect((await curl([...auth, `${base}hello.txt`])).stdout).toBe('hello over TLS\n');
      const upload = path.join(scratch.path, 'implicit-up.txt');
      fs.writeFileSync(upload, crypto.randomBytes(100_000));
      await curl([...auth, '--upload-file', upload, `${base}implicit-up.bin`]);
      expect(sha256File(path.join(user.home, 'implicit-up.bin'))).toBe(sha256File(upload));
      expect((await curl([...auth, base])).stdout).toMatch(/ implicit-up\.bin\n/);
      // A client that speaks plain FTP to it gets no banner: TLS comes first.
      const plain = await RawClient.connect(server.port);
      plain.send('USER x\r\n');
      await plain.closedByServer(40_000);
      expect(await plain.replies(1)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('require_ssl_reuse=NO: Python FTP_TLS\'s own PROT P transfers work', async () => {
    const server = await startMiniftp({ ...settings, require_ssl_reuse: 'NO' });
    try {
      const out = path.join(scratch.path, 'py-down.txt');
      const results = await ftplibSteps(server.port, { user: user.name, password: PASSWORD, tls: true, prot: 'P', steps: [
        { op: 'retr', path: 'hello.txt', out },
      ] });
      expect(results[2]!.reply).toMatch(/^226 /);
      expect(fs.readFileSync(out, 'utf8')).toBe('hello over TLS\n');
    } finally {
      await server.stop();
    }
  });

  it('killing the gate ends only the TLS sessions; plain sessions go on; a new gate serves new TLS sessions', async () => {
    const server = await startMiniftp({ ...settings, force_local_logins_ssl: 'NO', force_local_data_ssl: 'NO' });
    try {
      const plain = await RawClient.connect(server.port);
      await plain.replies(1);
      await plain.command(`USER ${user.name}`);
      expect((await plain.command(`PASS ${PASSWORD}`)).code).toBe(230);
      const secure = await tlsLogin(server.port, user.name);
      const [gate] = server.processes().gate;
      process.kill(gate!, 'SIGKILL');
      await secure.closedByServer();
      expect((await plain.command('NOOP')).code).toBe(200);
      await waitFor(() => server.processes().gate.some((pid) => pid !== gate), 10_000, 'a new TLS gate');
      const secureAgain = await tlsLogin(server.port, user.name);
      secureAgain.destroy();
      expect((await plain.command('NOOP')).code).toBe(200);
      plain.destroy();
    } finally {
      await server.stop();
    }
  });

  it('under PROT P: REST, ABOR and download_max_rate work', async () => {
    const server = await startMiniftp({ ...settings, download_max_rate: 200_000 });
    try {
      const file = path.join(user.home, 'rated.bin');
      fs.writeFileSync(file, crypto.randomBytes(1 << 20));
      const tail = crypto.createHash('sha256').update(fs.readFileSync(file).subarray((1 << 20) - 300_000)).digest('hex');
      const started = Date.now();
      const results = await ftplibSteps(server.port, { user: user.name, password: PASSWORD, tls: true, prot: 'P', reuse: true, steps: [
        { op: 'retr', path: 'rated.bin', rest: (1 << 20) - 300_000 },
        { op: 'abort', path: 'rated.bin', read: 65_536, style: 'plain' },
        { op: 'cmd', line: 'NOOP' },
      ] });
      // 300,000 bytes at 200,000 bytes a second take at least a second; unpaced, a few milliseconds.
      expect(Date.now() - started).toBeGreaterThan(1000);
      expect(results[2]).toMatchObject({ bytes: 300_000, sha256: tail });
      expect(results[2]!.reply).toMatch(/^226 /);
      expect(results[3]!.abort).toMatch(/^426 /);
      expect(results[3]!.after).toMatch(/^226 /);
      expect(results[4]!.reply).toBe('200 NOOP ok.');
    } finally {
      await server.stop();
    }
  });

  it('anonymous sessions may not use TLS unless allow_anon_ssl', async () => {
    const server = await startMiniftp({ ...settings, anonymous_enable: 'YES' });
    try {
      const raw = await RawClient.connect(server.port);
      await raw.replies(1);
      await raw.command('AUTH TLS');
      const secure = await raw.startTls();
      expect(await secure.command('USER anonymous')).toMatchObject({ code: 530, text: 'Anonymous sessions may not use encryption.' });
      secure.destroy();
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!requireRoot('miniftp FTPS client certificates') || lacksTools('miniftp FTPS client certificates', 'openssl'))('miniftp FTPS: client certificates (require_cert, validate_cert, ca_certs_file)', () => {
  let scratch: ScratchDir;
  let user: TestUser;
  const files: Record<string, string> = {};

  /** A key and a certificate signed by `ca` (or self-signed without one). */
  function issue(name: string, ca?: string): void {
    const key = path.join(scratch.path, `${name}.key`);
    const cert = path.join(scratch.path, `${name}.pem`);
    if (ca === undefined) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
    } else {
      const csr = path.join(scratch.path, `${name}.csr`);
      execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', files[`${ca}.pem`]!, '-CAkey', files[`${ca}.key`]!, '-CAcreateserial', '-out', cert, '-days', '2'], { stdio: 'ignore' });
    }
    files[`${name}.key`] = key;
    files[`${name}.pem`] = cert;
  }

  beforeAll(() => {
    scratch = scratchDir('miniftp-ftps-certs-');
    issue('server');
    issue('ca');
    issue('client', 'ca');
    issue('stranger');
    user = createUser('mfcrt', PASSWORD);
    fs.writeFileSync(path.join(user.home, 'hello.txt'), 'hello over TLS\n');
    fs.chownSync(path.join(user.home, 'hello.txt'), user.uid, user.gid);
  });

  afterAll(() => {
    user?.remove();
    scratch?.remove();
  });

  const settings = (more: Record<string, string>): Record<string, string> => ({
    ssl_enable: 'YES', rsa_cert_file: files['server.pem']!, rsa_private_key_file: files['server.key']!, require_cert: 'YES', ...more,
  });

  /** What curl makes of a RETR over TLS with `cert` (or none): the file, or curl's failure. */
  async function fetchWith(port: number, cert?: string): Promise<string> {
    const identity = cert === undefined ? [] : ['--cert', files[`${cert}.pem`]!, '--key', files[`${cert}.key`]!];
    try {
      return (await curl(['--ssl-reqd', '--insecure', ...identity, '--user', `${user.name}:${PASSWORD}`, `ftp://127.0.0.1:${port}/hello.txt`], 30_000)).stdout;
    } catch {
      return 'refused';
    }
  }

  it('validate_cert: only a certificate of ca_certs_file\'s CA gets in, on the control and the data connection', async (context) => {
    needTools(context, 'curl');
    const server = await startMiniftp(settings({ validate_cert: 'YES', ca_certs_file: files['ca.pem']! }));
    try {
      expect(await fetchWith(server.port, 'client')).toBe('hello over TLS\n');
      expect(await fetchWith(server.port, 'stranger')).toBe('refused');
      expect(await fetchWith(server.port)).toBe('refused');
      // Refused handshakes leave the server serving.
      expect(await fetchWith(server.port, 'client')).toBe('hello over TLS\n');
    } finally {
      await server.stop();
    }
  });

  it('require_cert without validate_cert: any certificate, but one there must be; debug_ssl tells each handshake', async (context) => {
    needTools(context, 'curl');
    const server = await startMiniftp(settings({ debug_ssl: 'YES' }));
    try {
      expect(await fetchWith(server.port, 'stranger')).toBe('hello over TLS\n');
      expect(await fetchWith(server.port)).toBe('refused');
      await waitFor(() => /data refused|control refused: no client certificate/.test(server.output()), 10_000, 'the gate\'s debug lines');
      const lines = server.output().split('\n').filter((line) => /TLS session \d+: /.test(line));
      expect(lines.some((line) => /control TLSv1\.3 \S+, new session, client certificate "CN=stranger"/.test(line))).toBe(true);
      expect(lines.some((line) => /data TLSv1\.3 \S+, resumed, client certificate "CN=stranger"/.test(line))).toBe(true);
      expect(lines.some((line) => /control refused: no client certificate/.test(line))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('validate_cert without ca_certs_file, or a ca_certs_file that holds no certificate, stops the start naming the setting', async () => {
    await expect(startMiniftp(settings({ validate_cert: 'YES' }))).rejects.toThrow(/validate_cert.*needs ca_certs_file/);
    const notPem = path.join(scratch.path, 'not-a-cert.pem');
    fs.writeFileSync(notPem, 'not a certificate\n');
    await expect(startMiniftp(settings({ validate_cert: 'YES', ca_certs_file: notPem }))).rejects.toThrow(/ca_certs_file.*not a PEM certificate/);
  });
});

/**
 * A binary STOR of `data` over PROT P, its data connection resuming the
 * control connection's TLS session; the client's TLS runs over a JS stream
 * so that `cut` can end the raw socket with a bare FIN, no close_notify
 * (what a forged FIN looks like to the server). The transfer's final reply.
 */
async function storOverTls(client: RawClient, name: string, data: Buffer, cut: boolean): Promise<Reply> {
  expect((await client.command('TYPE I')).code).toBe(200);
  const raw = await passiveData(client);
  client.send(`STOR ${name}\r\n`);
  const secure = tls.connect({ socket: transportOver(raw, () => {}), session: (client.socket as tls.TLSSocket).getSession(), rejectUnauthorized: false });
  secure.on('error', () => {});
  try {
    await once(secure, 'secureConnect');
    expect((await client.replies(1))[0]?.code).toBe(150);
    // Written through TLS into the raw socket, in full, before it ends.
    await new Promise<void>((resolve, reject) => secure.write(data, (err) => (err ? reject(err) : resolve())));
    if (cut) raw.end();
    else secure.end();
    const [reply] = await client.replies(1, 30_000);
    if (!reply) throw new Error('the server closed the control connection');
    return reply;
  } finally {
    secure.destroy();
    raw.destroy();
  }
}

describe.skipIf(!requireRoot('miniftp FTPS strict_ssl_read_eof') || lacksTools('miniftp FTPS strict_ssl_read_eof', 'openssl'))('miniftp FTPS: strict_ssl_read_eof', () => {
  let scratch: ScratchDir;
  let user: TestUser;
  let settings: Record<string, string>;
  // Large enough that the gate's reads and the worker's writes meet back-pressure.
  const payload = crypto.randomBytes(8 << 20);

  beforeAll(() => {
    scratch = scratchDir('miniftp-ftps-eof-');
    const { cert, key } = makeCertificate(scratch.path);
    settings = { ssl_enable: 'YES', rsa_cert_file: cert, rsa_private_key_file: key, write_enable: 'YES', debug_ssl: 'YES' };
    user = createUser('mfeof', PASSWORD);
  });

  afterAll(() => {
    user?.remove();
    scratch?.remove();
  });

  const stored = (name: string): Buffer => fs.readFileSync(path.join(user.home, name));
  const uploadLog = (server: RunningMiniftp, name: string): string[] => fs.readFileSync(server.logFile, 'utf8').split('\n').filter((line) => line.includes(`/${name}", `));

  it('on: an upload cut by a bare FIN gets 426, not 226, and is logged as failed, keeping the bytes that came; one ended with close_notify gets 226', async () => {
    const server = await startMiniftp({ ...settings, strict_ssl_read_eof: 'YES' });
    try {
      const client = await tlsLogin(server.port, user.name);
      expect((await client.command('PBSZ 0')).code).toBe(200);
      expect((await client.command('PROT P')).code).toBe(200);
      expect(await storOverTls(client, 'cut.bin', payload, true)).toMatchObject({ code: 426, text: 'Failure reading network stream.' });
      expect(stored('cut.bin').equals(payload)).toBe(true);
      // The session goes on: the same upload ended properly is complete.
      expect((await storOverTls(client, 'whole.bin', payload, false)).code).toBe(226);
      expect(stored('whole.bin').equals(payload)).toBe(true);
      client.destroy();
      await waitFor(() => uploadLog(server, 'whole.bin').length === 1, 10_000, 'the log line of whole.bin');
      expect(uploadLog(server, 'cut.bin')).toEqual([expect.stringMatching(/ FAIL UPLOAD: Client "127\.0\.0\.1", "[^"]*\/cut\.bin", 8388608 bytes/)]);
      expect(uploadLog(server, 'whole.bin')).toEqual([expect.stringMatching(/ OK UPLOAD: Client "127\.0\.0\.1", "[^"]*\/whole\.bin", 8388608 bytes/)]);
      expect(server.output()).toMatch(/data connection terminated without SSL shutdown .*: an upload fails \(strict_ssl_read_eof\)/);
    } finally {
      await server.stop();
    }
  });

  it('on: curl --ssl-reqd and Python FTP_TLS end their uploads with close_notify and get 226; downloads are whole', async (context) => {
    needTools(context, 'curl');
    const server = await startMiniftp({ ...settings, strict_ssl_read_eof: 'YES' });
    try {
      const source = path.join(scratch.path, 'payload.bin');
      fs.writeFileSync(source, payload);
      const { stderr } = await curl(['--ssl-reqd', '--insecure', '--verbose', '--user', `${user.name}:${PASSWORD}`, '--upload-file', source, `ftp://127.0.0.1:${server.port}/curl.bin`]);
      expect(stderr).toMatch(/< 226 /);
      expect(stored('curl.bin').equals(payload)).toBe(true);
      const back = path.join(scratch.path, 'back.bin');
      await curl(['--ssl-reqd', '--insecure', '--user', `${user.name}:${PASSWORD}`, '--output', back, `ftp://127.0.0.1:${server.port}/curl.bin`]);
      expect(fs.readFileSync(back).equals(payload)).toBe(true);
      const results = await ftplibSteps(server.port, { user: user.name, password: PASSWORD, tls: true, prot: 'P', reuse: true, steps: [
        { op: 'stor', path: 'py.bin', src: source },
      ] });
      expect(results[2]!.reply).toMatch(/^226 /);
      expect(stored('py.bin').equals(payload)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('off (the default): the upload cut by a bare FIN completes; debug_ssl tells the missing close_notify', async () => {
    const server = await startMiniftp(settings);
    try {
      const client = await tlsLogin(server.port, user.name);
      expect((await client.command('PBSZ 0')).code).toBe(200);
      expect((await client.command('PROT P')).code).toBe(200);
      expect((await storOverTls(client, 'cut-off.bin', payload, true)).code).toBe(226);
      expect(stored('cut-off.bin').equals(payload)).toBe(true);
      client.destroy();
      await waitFor(() => /data connection terminated without SSL shutdown/.test(server.output()), 10_000, 'the gate\'s debug line');
      expect(server.output()).not.toMatch(/strict_ssl_read_eof/);
    } finally {
      await server.stop();
    }
  });
});
