// handoffd end to end, as root: curl and openssl s_client on both ports,
// who owns which socket (ss -tnp), and a worker killed under load.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants } from '../helpers/ftp-servers.js';
import { requireRoot } from '../helpers/root.js';
import { lacksTools } from '../helpers/tools.js';
import { waitFor } from '../helpers/process.js';
import { scratchDir } from '../helpers/scratch.js';
import { startHandoffd } from '../helpers/handoffd.js';

const run = promisify(execFile);

describe.skipIf(!requireRoot('handoffd integration') || lacksTools('handoffd integration', 'openssl', 'curl', 'ss'))('handoffd', () => {
  const stateDir = scratchDir('handoffd-');
  let child: ChildProcess;
  let stopHandoffd: (() => Promise<void>) | undefined;
  let output = (): string => '';
  let plainPort = 0;
  let tlsPort = 0;

  beforeAll(async () => {
    const started = await startHandoffd(['--port', '0', '--tls-port', '0', '--state-dir', stateDir.path, '--workers', '2']);
    ({ child, plainPort, tlsPort, output, stop: stopHandoffd } = started);
  });

  afterAll(async () => {
    await stopHandoffd?.();
    stateDir.remove();
  });

  const workerPids = async (): Promise<number[]> => descendants(child.pid!);

  it('serves plain HTTP from an unprivileged worker', async () => {
    const { stdout } = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${plainPort}/`]);
    expect(stdout).toMatch(/^handoffd worker pid=\d+ uid=65534 http for 127\.0\.0\.1:\d+/);
    expect(await workerPids()).toContain(Number(/pid=(\d+)/.exec(stdout)![1]));
  });

  it('terminates TLS in the worker (curl -k and openssl s_client)', async () => {
    const { stdout } = await run('curl', ['-sSk', '--max-time', '10', `https://127.0.0.1:${tlsPort}/`]);
    expect(stdout).toMatch(/uid=65534 https for 127\.0\.0\.1/);
    const sclient = await new Promise<string>((resolve, reject) => {
      const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${tlsPort}`, '-servername', 'localhost', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('exit', () => resolve(text));
      p.on('error', reject);
      p.stdin.end('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
      setTimeout(() => p.kill(), 10_000).unref();
    });
    expect(sclient).toMatch(/CN ?= ?localhost/);
    expect(sclient).toMatch(/https for 127\.0\.0\.1/);
  });

  it('LISTEN sockets belong to the master, ESTABLISHED ones to a worker', async () => {
    const client = net.connect(plainPort, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const local = client.localPort!;
    const workers = await workerPids();
    let established = '';
    for (let i = 0; i < 100; i++) {
      established = (await run('ss', ['-Htnp', 'state', 'established', `( dport = :${local} or sport = :${local} )`])).stdout;
      // Handed over: the master keeps its copy of the fd until the worker confirms it.
      if (established.split('\n').some((l) => l.trim().split(/\s+/)[2]?.endsWith(`:${plainPort}`) && /pid=/.test(l) && !l.includes(`pid=${child.pid},`))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const listening = (await run('ss', ['-Htlnp', `( sport = :${plainPort} or sport = :${tlsPort} )`])).stdout;
    client.destroy();
    expect(listening.trim().split('\n')).toHaveLength(2);
    expect(listening).toContain(`pid=${child.pid},`);
    for (const pid of workers) expect(listening).not.toContain(`pid=${pid},`);
    // Columns: Recv-Q Send-Q Local:Port Peer:Port Process; the server side is the one local to the port.
    const serverSide = established.split('\n').find((l) => l.trim().split(/\s+/)[2]?.endsWith(`:${plainPort}`));
    const owner = Number(/pid=(\d+),/.exec(serverSide ?? '')?.[1]);
    expect(workers).toContain(owner);
    expect(established).not.toContain(`pid=${child.pid},`);
  });

  it('survives kill -9 of a worker under load, replaces it, and serves every later connection', async () => {
    const before = await workerPids();
    const victim = before[0]!;
    const get = () => run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${plainPort}/`]).then(({ stdout }) => stdout);
    // Bounded load: 4 clients, 50 requests each; the kill lands in the middle.
    let done = 0;
    const clients = Array.from({ length: 4 }, async () => {
      const results: string[] = [];
      for (let i = 0; i < 50; i++) {
        results.push(await get().catch((e: Error) => `failed: ${e.message}`));
        done++;
      }
      return results;
    });
    await waitFor(() => done >= 40, 30_000, 'the load to start');
    process.kill(victim, 'SIGKILL');
    await waitFor(() => output().includes(`worker ${victim} exited (SIGKILL)`), 10_000, 'the master to see the worker die');
    const afterKill = Array.from({ length: 30 }, () => get());
    const later = await Promise.all(afterKill);
    await Promise.all(clients);
    expect(later.every((text) => /^handoffd worker pid=\d+/.test(text))).toBe(true);
    expect(later.some((text) => text.includes(`pid=${victim} `))).toBe(false);
    expect(child.exitCode).toBeNull();
    let now = await workerPids();
    for (let i = 0; i < 100 && now.length !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await workerPids();
    }
    expect(now).toHaveLength(2);
    expect(now).not.toContain(victim);
  });

  it('made a self-signed certificate in its state directory', () => {
    expect(fs.existsSync(path.join(stateDir.path, 'cert.pem'))).toBe(true);
    expect(fs.statSync(path.join(stateDir.path, 'key.pem')).mode & 0o777).toBe(0o600);
  });
});
