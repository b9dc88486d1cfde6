// miniftp's data connections through the nobody helper: real clients in
// every data mode, byte-for-byte transfers, the bounce and theft checks,
// active mode from port 20, connection limits, and the transfer log.
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOutcome } from '../helpers/connect.js';
import { RawClient, curl, ftplibSteps, lftp, sha256File } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';

const run = promisify(execFile);

function pasvPort(text: string): number {
  const n = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(text)!.slice(1).map(Number);
  return n[4]! * 256 + n[5]!;
}

describe.skipIf(!requireRoot('miniftp data connections'))('miniftp data connections', () => {
  let server: RunningMiniftp;
  let dana: TestUser;
  let work: string;
  const password = 'dana-secret';

  beforeAll(async () => {
    dana = createUser('mfd', password);
    work = fs.mkdtempSync('/tmp/miniftp-data-');
    const big = crypto.randomBytes(5 * 1024 * 1024 + 17);
    fs.writeFileSync(path.join(dana.home, 'big.bin'), big);
    fs.writeFileSync(path.join(dana.home, 'text.txt'), 'line one\nline two\n');
    for (const f of ['big.bin', 'text.txt']) fs.chownSync(path.join(dana.home, f), dana.uid, dana.gid);
    server = await startMiniftp({ chroot_local_user: 'YES', write_enable: 'YES', connect_from_port_20: 'YES', max_per_ip: 150 });
  });

  afterAll(async () => {
    await server?.stop();
    dana?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const url = (file = '') => `ftp://${dana.name}:${password}@127.0.0.1:${server.port}/${file}`;

  it('curl downloads and uploads byte for byte, passive and active', async (ctx) => {
    needTools(ctx, 'curl');
    const expected = sha256File(path.join(dana.home, 'big.bin'));
    const pasv = path.join(work, 'pasv.bin');
    const port = path.join(work, 'port.bin');
    await curl(['-o', pasv, url('big.bin')]);
    await curl(['-P', '127.0.0.1', '-o', port, url('big.bin')]);
    expect(sha256File(pasv)).toBe(expected);
    expect(sha256File(port)).toBe(expected);
    await curl(['-T', pasv, url('up-by-curl.bin')]);
    expect(sha256File(path.join(dana.home, 'up-by-curl.bin'))).toBe(expected);
    expect(fs.statSync(path.join(dana.home, 'up-by-curl.bin')).uid).toBe(dana.uid);
  });

  it('lftp mirrors a file both ways', async (ctx) => {
    needTools(ctx, 'lftp');
    const local = path.join(work, 'lftp.bin');
    await lftp(server.port, dana.name, password, [`get big.bin -o ${local}`, `put ${local} -o up-by-lftp.bin`]);
    expect(sha256File(local)).toBe(sha256File(path.join(dana.home, 'big.bin')));
    expect(sha256File(path.join(dana.home, 'up-by-lftp.bin'))).toBe(sha256File(local));
  });

  it('ftplib in all four data modes, binary and ASCII, with resume', async () => {
    const steps = ['pasv', 'epsv', 'port', 'eprt'].flatMap((mode) => [
      { op: 'retr', path: 'big.bin', type: 'I', mode, out: path.join(work, `${mode}.bin`) },
      { op: 'retr', path: 'text.txt', type: 'A', mode, out: path.join(work, `${mode}.txt`) },
    ]);
    steps.push({ op: 'retr', path: 'big.bin', type: 'I', mode: 'pasv', out: path.join(work, 'rest.bin'), rest: 1000 } as never);
    const results = await ftplibSteps(server.port, { user: dana.name, password, steps });
    const expected = sha256File(path.join(dana.home, 'big.bin'));
    for (const mode of ['pasv', 'epsv', 'port', 'eprt']) {
      expect(sha256File(path.join(work, `${mode}.bin`)), mode).toBe(expected);
      // ASCII mode puts CRLF on the wire; the fixture saves what came.
      expect(fs.readFileSync(path.join(work, `${mode}.txt`), 'utf8'), mode).toBe('line one\r\nline two\r\n');
    }
    expect(fs.readFileSync(path.join(work, 'rest.bin')).equals(fs.readFileSync(path.join(dana.home, 'big.bin')).subarray(1000))).toBe(true);
    expect(results.every((r) => !r.error)).toBe(true);
  });

  it('active connections come from port 20 (the helper holds CAP_NET_BIND_SERVICE)', async () => {
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    await client.command(`USER ${dana.name}`);
    await client.command(`PASS ${password}`);
    const listener = net.createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const from = new Promise<number>((resolve) => listener.once('connection', (s) => { resolve(s.remotePort!); s.resume(); }));
    expect((await client.command(`PORT 127,0,0,1,${port >> 8},${port & 255}`)).code).toBe(200);
    expect((await client.command('NLST')).code).toBe(150);
    expect(await from).toBe(20);
    expect((await client.replies(1))[0]!.code).toBe(226);
    listener.close();
    client.destroy();
  });

  it('refuses PORT to another address or a privileged port (no FTP bounce)', async () => {
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    await client.command(`USER ${dana.name}`);
    await client.command(`PASS ${password}`);
    expect((await client.command('PORT 127,0,0,2,100,100')).code).toBe(500);
    expect((await client.command('PORT 127,0,0,1,0,25')).code).toBe(500);
    expect((await client.command('EPRT |1|10.1.2.3|2000|')).code).toBe(500);
    client.destroy();
  });

  // A RETR that fails (550) leaves the passive setup to the next transfer,
  // until PASV comes again.
  it('a RETR whose file cannot be opened: the connection goes to the next transfer, or a new PASV takes over', async () => {
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    await client.command(`USER ${dana.name}`);
    await client.command(`PASS ${password}`);
    const read = (socket: net.Socket): Promise<string> => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      return new Promise((r) => socket.once('close', () => r(text)));
    };
    const open = async (port: number): Promise<net.Socket> => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      await new Promise((r, j) => socket.once('connect', r).once('error', j));
      return socket;
    };
    // Connected first: the failed RETR leaves the connection to the next one.
    const first = await open(pasvPort((await client.command('PASV')).text));
    const firstText = read(first);
    expect((await client.command('RETR missing.txt')).code).toBe(550);
    client.send('RETR text.txt\r\n');
    expect((await client.replies(2)).map((r) => r.code)).toEqual([150, 226]);
    expect(await firstText).toBe('line one\nline two\n');
    // Not connected yet: a new PASV replaces the listener, the old port is closed.
    const stale = pasvPort((await client.command('PASV')).text);
    expect((await client.command('RETR missing.txt')).code).toBe(550);
    const second = await open(pasvPort((await client.command('PASV')).text));
    const secondText = read(second);
    await expect(open(stale)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    client.send('RETR text.txt\r\n');
    expect((await client.replies(2)).map((r) => r.code)).toEqual([150, 226]);
    expect(await secondText).toBe('line one\nline two\n');
    client.destroy();
  });

  it('a passive connection from another address is refused and the transfer fails (no PASV theft)', async () => {
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    await client.command(`USER ${dana.name}`);
    await client.command(`PASS ${password}`);
    const port = pasvPort((await client.command('PASV')).text);
    const thief = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    thief.on('error', () => {});
    await new Promise((r) => thief.once('connect', r));
    const retr = await client.command('RETR text.txt');
    const final = retr.code === 150 ? (await client.replies(1))[0]! : retr;
    expect(final.code).toBe(425);
    await new Promise((r) => (thief.destroyed ? r(null) : thief.once('close', r)));
    thief.destroy();
    // The session goes on.
    expect((await client.command('NOOP')).code).toBe(200);
    client.destroy();
  });

  // Picked at random from 1024..65535, as vsftpd does, not by bind(0) (whose
  // ports all lie in the kernel's ephemeral range, and whose search slows
  // down with every connection in TIME_WAIT). With Linux's default range
  // (32768..60999), 20 random ports all inside it happen about once in 10^7 runs.
  it('passive ports are picked at random across 1024..65535, not from the kernel\'s ephemeral range', async (ctx) => {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];
    const allInside = ((high - low + 1) / (65535 - 1024 + 1)) ** 20;
    if (allInside > 1e-6) {
      const reason = `the ephemeral port range ${low}..${high} covers too much of 1024..65535 to tell random ports from bind(0)'s`;
      console.log(`skipping "${ctx.task.name}": ${reason}`);
      ctx.skip(true, reason);
    }
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    await client.command(`USER ${dana.name}`);
    await client.command(`PASS ${password}`);
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(pasvPort((await client.command('PASV')).text));
    expect(ports.every((port) => port >= 1024 && port <= 65535)).toBe(true);
    expect(ports.some((port) => port < low || port > high)).toBe(true);
    // The last one listens and transfers.
    const data = net.connect({ port: ports.at(-1)!, host: '127.0.0.1' });
    let text = '';
    data.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const closed = new Promise((r) => data.once('close', r));
    client.send('RETR text.txt\r\n');
    expect((await client.replies(2)).map((r) => r.code)).toEqual([150, 226]);
    await closed;
    expect(text).toBe('line one\nline two\n');
    client.destroy();
  });

  it('100 concurrent sessions each transfer a file', async () => {
    const script = `
import ftplib, hashlib, sys, threading
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
results = []
def one(i):
    try:
        f = ftplib.FTP()
        f.connect('127.0.0.1', port, timeout=60)
        f.login(user, password)
        h = hashlib.sha256()
        f.retrbinary('RETR text.txt', h.update)
        f.quit()
        results.append(h.hexdigest())
    except Exception as e:
        results.append('error: %r' % e)
threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
for t in threads: t.start()
for t in threads: t.join(120)
print('\\n'.join(results))
`;
    const { stdout } = await run('python3', ['-c', script, String(server.port), dana.name, password], { timeout: 180_000, maxBuffer: 1 << 20 });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(100);
    expect(new Set(lines)).toEqual(new Set([sha256File(path.join(dana.home, 'text.txt'))]));
  }, 240_000);

  it('logs every transfer with its path, size and result', (ctx) => {
    needTools(ctx, 'curl');
    const log = fs.readFileSync(server.logFile, 'utf8');
    expect(log).toMatch(/OK DOWNLOAD: Client "127\.0\.0\.1", "\/big\.bin", 5242897 bytes/);
    expect(log).toMatch(/OK UPLOAD: Client "127\.0\.0\.1", "\/up-by-curl\.bin", 5242897 bytes/);
  });
});

describe.skipIf(!requireRoot('miniftp connection limits'))('miniftp connection limits', () => {
  it('max_per_ip and max_clients answer 421 and close', async () => {
    const server = await startMiniftp({ max_per_ip: 2, max_clients: 3 });
    try {
      const first = [await RawClient.connect(server.port), await RawClient.connect(server.port)];
      for (const c of first) expect((await c.replies(1))[0]!.code).toBe(220);
      const third = await RawClient.connect(server.port);
      const [reply] = await third.replies(1);
      expect(reply!.code).toBe(421);
      expect(reply!.text).toMatch(/too many connections from your internet address/i);
      await third.closedByServer();
      // Another address is under max_per_ip but meets max_clients after one more.
      const other = net.connect({ port: server.port, host: '127.0.0.1', localAddress: '127.0.0.3' });
      const otherText = await new Promise<string>((r) => other.once('data', (d) => r(d.toString())));
      expect(otherText).toMatch(/^220/);
      const fourth = net.connect({ port: server.port, host: '127.0.0.1', localAddress: '127.0.0.4' });
      const fourthText = await new Promise<string>((r) => fourth.once('data', (d) => r(d.toString())));
      expect(fourthText).toMatch(/^421 There are too many connected users/);
      // A closed session frees its place.
      first[0]!.destroy();
      let code = 0;
      for (let i = 0; i < 50 && code !== 220; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const retry = await RawClient.connect(server.port);
        code = (await retry.replies(1))[0]?.code ?? 0;
        retry.destroy();
      }
      expect(code).toBe(220);
      for (const s of [...first, third]) s.destroy();
      other.destroy();
      fourth.destroy();
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!requireRoot('miniftp accept_timeout'))('miniftp accept_timeout, enforced by the helper that holds the listener', () => {
  async function loggedIn(port: number, user: TestUser, password: string): Promise<RawClient> {
    const client = await RawClient.connect(port);
    await client.replies(1);
    await client.command(`USER ${user.name}`);
    expect((await client.command(`PASS ${password}`)).code).toBe(230);
    return client;
  }

  it('a client that never connects gets 425 once it has passed, and an unused PASV port closes then; one that connects late within 0 (no timeout) is served', async () => {
    const password = 'ada-secret';
    const ada = createUser('mfa', password);
    fs.writeFileSync(path.join(ada.home, 'a.txt'), 'late but served\n');
    fs.chownSync(path.join(ada.home, 'a.txt'), ada.uid, ada.gid);
    const strict = await startMiniftp({ accept_timeout: 1 });
    const patient = await startMiniftp({ accept_timeout: 0 });
    try {
      const client = await loggedIn(strict.port, ada, password);
      expect((await client.command('PASV')).code).toBe(227);
      const retr = await client.command('RETR a.txt');
      const final = retr.code === 150 ? (await client.replies(1))[0]! : retr;
      expect(final.code).toBe(425);
      expect((await client.command('NOOP')).code).toBe(200);
      // A PASV with no transfer after it: its port is closed once accept_timeout has passed.
      const idlePort = pasvPort((await client.command('PASV')).text);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await connectOutcome(idlePort)).toBe('ECONNREFUSED');
      expect((await client.command('NOOP')).code).toBe(200);
      client.destroy();

      // The worker asks the helper in half-second slices: connecting after a
      // few of them must not end the wait when there is no timeout.
      const late = await loggedIn(patient.port, ada, password);
      const port = pasvPort((await late.command('PASV')).text);
      late.send('RETR a.txt\r\n');
      await new Promise((r) => setTimeout(r, 1600));
      const data = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      data.on('data', (d: Buffer) => chunks.push(d));
      await new Promise((r) => data.once('close', r));
      expect(Buffer.concat(chunks).toString()).toBe('late but served\n');
      expect((await late.replies(2)).map((r) => r.code)).toEqual([150, 226]);
      late.destroy();
    } finally {
      await strict.stop();
      await patient.stop();
      ada.remove();
    }
  });
});
