// miniftp behind HAProxy with the PROXY protocol: two instances sharing one
// directory, control connections balanced across both, each instance's
// passive port range forwarded to it; the real client's address counts for
// max_per_ip, the PASV and PORT checks, the TLS gate's check of a protected
// data connection and the logs; connections that do not
// come from the balancer with a valid header are closed.
//
// Everything stays on loopback. The balancer and the clients are told apart
// by address family: clients reach HAProxy on 127.0.0.1 (and ::1), HAProxy
// reaches miniftp over ::1, and only ::1 is trusted. miniftp listens on ::
// (dual stack) so that a client can also reach it directly from 127.0.0.1,
// an untrusted address. HAProxy's passive frontends listen on 127.0.0.1 only:
// the instances' passive listeners take the same ports on ::1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, curl, sha256File } from '../helpers/ftp-clients.js';
import { freePortRange, startHaproxy, type RunningHaproxy } from '../helpers/haproxy.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { makeCertificate } from '../helpers/tls-certs.js';
import { lacksTools } from '../helpers/tools.js';

const PASV_PORTS = 4;

function haproxyConfig(front: number, frontA: number, a: { port: number; pasv: number }, b: { port: number; pasv: number }): string {
  const pasvRange = (first: number) => `${first}-${first + PASV_PORTS - 1}`;
  return `global
  maxconn 200
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend ftp
  bind 127.0.0.1:${front}
  bind [::1]:${front}
  default_backend ftp
backend ftp
  balance roundrobin
  server a [::1]:${a.port} send-proxy
  server b [::1]:${b.port} send-proxy-v2
frontend ftp_a
  bind 127.0.0.1:${frontA}
  bind [::1]:${frontA}
  default_backend ftp_a
backend ftp_a
  server a [::1]:${a.port} send-proxy-v2
frontend pasv_a
  bind 127.0.0.1:${pasvRange(a.pasv)}
  default_backend pasv_a
backend pasv_a
  # No port: the one the client connected to.
  server a [::1] send-proxy
frontend pasv_b
  bind 127.0.0.1:${pasvRange(b.pasv)}
  default_backend pasv_b
backend pasv_b
  server b [::1] send-proxy-v2
`;
}

async function greeting(client: RawClient): Promise<number | null> {
  const [reply] = await client.replies(1);
  return reply?.code ?? null;
}

describe.skipIf(!requireRoot('miniftp behind HAProxy') || lacksTools('miniftp behind HAProxy', 'haproxy', 'curl', 'openssl'))('miniftp behind HAProxy (PROXY protocol)', () => {
  let user: TestUser;
  const password = 'proxied-secret';
  let a: RunningMiniftp;
  let b: RunningMiniftp;
  let haproxy: RunningHaproxy;
  let front: number;
  let frontA: number;
  let work: string;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    user = createUser('mfpx', password);
    work = fs.mkdtempSync('/tmp/miniftp-proxy-');
    fs.writeFileSync(path.join(user.home, 'seed.txt'), 'seed\n');
    fs.chownSync(path.join(user.home, 'seed.txt'), user.uid, user.gid);
    const ports = await freePortRange(2 + 2 * PASV_PORTS);
    [front, frontA] = [ports, ports + 1];
    const pasvA = ports + 2;
    const pasvB = pasvA + PASV_PORTS;
    const { cert, key } = makeCertificate(work);
    const settings = (pasv: number) => ({
      ssl_enable: 'YES', rsa_cert_file: cert, rsa_private_key_file: key, force_local_logins_ssl: 'NO', force_local_data_ssl: 'NO',
      listen_ipv6: 'YES', listen_address: '::', local_enable: 'YES', write_enable: 'YES', max_per_ip: 1,
      pasv_min_port: pasv, pasv_max_port: pasv + PASV_PORTS - 1, pasv_address: '127.0.0.1',
      proxy_protocol_enable: 'YES', proxy_protocol_trusted: '::1/128',
    });
    [a, b] = await Promise.all([startMiniftp(settings(pasvA)), startMiniftp(settings(pasvB))]);
    haproxy = await startHaproxy(haproxyConfig(front, frontA, { port: a.port, pasv: pasvA }, { port: b.port, pasv: pasvB }), front);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await haproxy?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    user?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const connect = async (port: number, host = '127.0.0.1') => {
    const client = await RawClient.connect(port, host);
    clients.push(client);
    return client;
  };
  // A client that is greeted; the end of a session closed just before is counted a moment later.
  const greeted = async (port: number, host = '127.0.0.1') => {
    for (let attempt = 1; ; attempt++) {
      const client = await connect(port, host);
      const code = await greeting(client);
      if (code === 220 || attempt === 20) return client;
      client.destroy();
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const logOf = (server: RunningMiniftp) => fs.readFileSync(server.logFile, 'utf8');
  const url = (file: string) => `ftp://${user.name}:${password}@127.0.0.1:${front}/${file}`;

  it('passive transfers go through the balancer to both instances; their logs name the real client', async () => {
    const data = crypto.randomBytes(300_000);
    const source = path.join(work, 'source.bin');
    fs.writeFileSync(source, data);
    await curl(['-sS', '-T', source, url('up.bin')]);
    expect(sha256File(path.join(user.home, 'up.bin'))).toBe(sha256File(source));
    // Round robin: the next three sessions meet the other instance, then this one, then the other again.
    await curl(['-sS', '-o', path.join(work, 'epsv.bin'), url('up.bin')]);
    await curl(['-sS', '--disable-epsv', '-o', path.join(work, 'pasv.bin'), url('up.bin')]);
    await curl(['-sS', '--disable-epsv', '-o', path.join(work, 'pasv2.bin'), url('up.bin')]);
    for (const f of ['epsv.bin', 'pasv.bin', 'pasv2.bin']) expect(sha256File(path.join(work, f)), f).toBe(sha256File(source));
    for (const server of [a, b]) {
      const lines = logOf(server).split('\n').filter((l) => / (CONNECT|OK LOGIN|OK UPLOAD|OK DOWNLOAD|DISCONNECT): /.test(l));
      expect(lines.filter((l) => l.includes(' OK DOWNLOAD: ')).length + lines.filter((l) => l.includes(' OK UPLOAD: ')).length).toBe(2);
      for (const line of lines) expect(line).toContain('Client "127.0.0.1"');
    }
  }, 120_000);

  it('active mode through the balancer connects to the real client directly', async () => {
    // Without the header the client would be the balancer (::1), and PORT to 127.0.0.1 a bounce.
    await curl(['-sS', '-P', '127.0.0.1', '-o', path.join(work, 'active.bin'), url('up.bin')]);
    expect(sha256File(path.join(work, 'active.bin'))).toBe(sha256File(path.join(user.home, 'up.bin')));
  }, 60_000);

  it('FTPS through the balancer: the TLS gate takes a protected data connection that the balancer relays', async () => {
    const auth = ['-sS', '--ssl-reqd', '--insecure'];
    for (let i = 0; i < 2; i++) {
      const out = path.join(work, `tls-${i}.bin`);
      const { stderr } = await curl([...auth, '--verbose', '-o', out, url('seed.txt')]);
      expect(fs.readFileSync(out, 'utf8')).toBe('seed\n');
      expect(stderr).toMatch(/< 200 PROT now Private/);
    }
  }, 60_000);

  it('max_per_ip counts each real client: 127.0.0.1 and ::1 both get in, a second 127.0.0.1 does not', async () => {
    const first = await connect(frontA);
    expect(await greeting(first)).toBe(220);
    const six = await connect(frontA, '::1');
    expect(await greeting(six)).toBe(220);
    const second = await connect(frontA);
    const refused = await second.replies(1);
    expect(refused[0]?.code).toBe(421);
    expect(refused[0]?.text).toMatch(/too many connections from your internet address/);
    expect(logOf(a)).toMatch(/REFUSED: Client "127\.0\.0\.1": max_per_ip/);
    for (const c of [first, six, second]) c.destroy();
  }, 30_000);

  it('a passive connection from another client than the control connection\'s fails the transfer (PASV theft)', async () => {
    // The control connection comes from ::1; a data connection through the balancer from 127.0.0.1.
    const client = await greeted(frontA, '::1');
    client.send(`USER ${user.name}\r\nPASS ${password}\r\n`);
    const [, login] = await client.replies(2);
    expect(login?.code).toBe(230);
    const pasv = await client.command('PASV');
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv.text)!;
    expect(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`).toBe('127.0.0.1');
    const thief = net.connect(Number(m[5]) * 256 + Number(m[6]), '127.0.0.1');
    thief.on('error', () => {});
    client.send('RETR seed.txt\r\n');
    const replies = await client.replies(1, 20_000);
    expect(replies[0]?.code).toBe(425)
    thief.destroy();
    client.destroy();
  }, 30_000);

  it('a PROXY header from an untrusted address is refused, whatever it says', async () => {
    // Straight to the instance from 127.0.0.1, claiming a client the balancer never saw.
    const spoofer = await connect(a.port, '127.0.0.1');
    spoofer.send('PROXY TCP4 203.0.113.9 127.0.0.1 40000 21\r\n');
    await spoofer.closedByServer();
    expect(await spoofer.replies(1)).toEqual([]);
    expect(logOf(a)).toMatch(/REFUSED: Client "127\.0\.0\.1": PROXY protocol: 127\.0\.0\.1 is not in proxy_protocol_trusted/);
    expect(logOf(a)).not.toContain('203.0.113.9');
  }, 30_000);

  it('from the trusted address: no header or a malformed one is refused, a slow one only after its deadline and without holding up others; LOCAL is served', async () => {
    const talker = await connect(a.port, '::1');
    talker.send('USER anonymous\r\n');
    await talker.closedByServer();
    expect(logOf(a)).toMatch(/REFUSED: Client "::1": PROXY protocol: ::1: bad header: no PROXY signature/);

    const started = Date.now();
    const silent = await connect(a.port, '::1');
    // Meanwhile a client through the balancer is greeted at once.
    const other = await greeted(frontA);
    expect(silent.closed).toBe(false);
    expect(Date.now() - started).toBeLessThan(4000);
    await silent.closedByServer(15_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(logOf(a)).toMatch(/REFUSED: Client "::1": PROXY protocol: ::1: no header within 5 s/);
    other.destroy();

    // v2 LOCAL: the balancer's own connection (a health check) keeps its own address.
    const check = await connect(a.port, '::1');
    check.send(Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex'));
    expect(await greeting(check)).toBe(220);
    check.destroy();
  }, 60_000);
});
