// Benchmark: miniftp's FTPS (TLS through its gate process) against vsftpd's
// (Debian's package, TLS in the session's own process), both started here on
// 127.0.0.1 with the same self-signed certificate, ssl_enable and
// require_ssl_reuse, measured in one run: RETR and STOR of a 1 GiB file under
// PROT P (curl --ssl-reqd), TLS logins per second (connect, AUTH TLS, USER,
// PASS, QUIT; 20 at a time), and the CPU time of each server's processes per
// operation (miniftp's gate shown apart). Interleaved rounds: the best
// throughput, the median CPU time.
// Last line:
//   ftps ratio retr=<x> stor=<y> sessions=<z>
// (miniftp over vsftpd, higher is better).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PASSWORD, benchSetup, cpuSeconds, descendants, requireRootAndVsftpd, settleTree, startMiniftp, startVsftpd, stopServer, timed, treeCpuSeconds,
  waitForPort,
} from './ftp-servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const LOGIN_CONCURRENCY = 20;
const LOGIN_SECONDS = 5;

requireRootAndVsftpd('bench:ftps');
const { dir, user, home } = benchSetup('bench-ftps-', BIG_MIB);
const cert = path.join(dir, 'cert.pem');
const key = path.join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
fs.chmodSync(key, 0o600);

const tls = [
  'ssl_enable=YES', `rsa_cert_file=${cert}`, `rsa_private_key_file=${key}`, 'require_ssl_reuse=YES',
  'force_local_logins_ssl=YES', 'force_local_data_ssl=YES',
];
// vsftpd 3.0.3 has no ssl_tlsv1_3 (nor ssl_tlsv1_2): its ssl_tlsv1 allows
// TLS 1.0 and up, and OpenSSL 3 then negotiates TLS 1.3 with a client that
// offers it (checked below, from curl's report). Its default cipher list
// (DES-CBC3-SHA) only matters at TLS 1.2.
const servers = [
  { name: 'vsftpd', port: 19031, start: (port) => startVsftpd(dir, port, [...tls, 'ssl_tlsv1=YES', 'ssl_ciphers=HIGH']) },
  { name: 'miniftp', port: 19131, start: (port) => startMiniftp(dir, port, [...tls, 'ssl_tlsv1_2=YES', 'ssl_tlsv1_3=YES']) },
];

const url = (port, file = '') => `ftp://${user}:${PASSWORD}@127.0.0.1:${port}/${file}`;
// The certificate is self-signed for localhost; verifying it is not what is
// measured. No transfer may hang the bench.
const CURL_TLS = ['-sS', '--ssl-reqd', '--insecure', '--max-time', '600'];

/** The gate's pid in miniftp's tree (null for vsftpd). */
function gatePid(server) {
  return descendants(server.child.pid).find((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tls-gate');
    } catch {
      return false;
    }
  }) ?? null;
}

/** Runs `work` (answering wall seconds and a count) and the server's CPU seconds it took: all processes, and the gate's. */
async function withCpu(server, work) {
  await settleTree(server.child.pid);
  const gate = gatePid(server);
  const before = treeCpuSeconds(server.child.pid);
  const gateBefore = gate === null ? 0 : cpuSeconds(gate);
  const result = work();
  await settleTree(server.child.pid);
  return { ...result, cpu: treeCpuSeconds(server.child.pid) - before, gateCpu: gate === null ? 0 : cpuSeconds(gate) - gateBefore };
}

/** What TLS `name` speaks on a PROT P listing: version and cipher of the control and the data connection, and whether the data connection resumed. */
function describeTls(name, port) {
  const run = spawnSync('curl', [...CURL_TLS, '--verbose', '-o', '/dev/null', url(port)], { encoding: 'utf8', timeout: 60_000 });
  const connections = [...run.stderr.matchAll(/SSL connection using (\S+) \/ (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
  if (run.status !== 0 || connections.length < 2) throw new Error(`${name}: a PROT P listing failed:\n${run.stderr}`);
  const resumed = /SSL re-using session ID/.test(run.stderr);
  return `${name}: control ${connections[0]}, data ${connections[1]}${resumed ? ', resumed' : ''}`;
}

function transfer(args, mib) {
  return { seconds: timed('curl', args), count: mib };
}

function logins(port) {
  const load = execFileSync(process.execPath, [
    path.join(here, 'ftp-client.mjs'), 'sessions', String(port), user, PASSWORD, String(LOGIN_CONCURRENCY), String(LOGIN_SECONDS), 'tls',
  ], { encoding: 'utf8' });
  const [count, errors, seconds] = load.trim().split(' ').map(Number);
  if (count === 0 || errors > count / 100) throw new Error(`${errors} failed TLS logins (${count} succeeded)`);
  return { seconds, count };
}

async function measure(server) {
  const upload = path.join(home, 'upload.bin');
  const retr = await withCpu(server, () => transfer([...CURL_TLS, '-o', '/dev/null', url(server.port, 'big.bin')], BIG_MIB));
  const stor = await withCpu(server, () => transfer([...CURL_TLS, '-T', path.join(home, 'big.bin'), url(server.port, 'upload.bin')], BIG_MIB));
  if (fs.statSync(upload).size !== BIG_MIB * 2 ** 20) throw new Error(`${server.name}: the upload has ${fs.statSync(upload).size} bytes`);
  fs.rmSync(upload);
  const sessions = await withCpu(server, () => logins(server.port));
  return { retr, stor, sessions };
}

const results = { miniftp: [], vsftpd: [] };
const tlsReport = [];
const running = [];
try {
  for (const s of servers) {
    const server = Object.assign(s.start(s.port), { port: s.port });
    running.push(server);
    await waitForPort(s.port, server);
  }
  // A first PROT P session each warms the server up and shows what TLS it speaks.
  for (const server of running) tlsReport.push(describeTls(server.name, server.port));
  for (let round = 0; round < ROUNDS; round++) {
    // Each round in the other order: neither server always goes first.
    for (const server of round % 2 ? [...running].reverse() : running) results[server.name].push(await measure(server));
  }
} finally {
  for (const server of running) await stopServer(server);
}

const rate = (r) => r.count / r.seconds;
const best = (name, key) => results[name].reduce((a, b) => (rate(b[key]) > rate(a[key]) ? b : a))[key];
// CPU per operation: the median of the rounds (one disturbed round moves it less than a best would).
const medianCpu = (name, key, of = 'cpu') => {
  const sorted = results[name].map((r) => r[key][of] / r[key].count).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const column = (text) => String(text).padStart(20);
const cpuCell = (name, key, scale, digits) => {
  const total = (medianCpu(name, key) * scale).toFixed(digits);
  return name === 'miniftp' ? `${total} (gate ${(medianCpu(name, key, 'gateCpu') * scale).toFixed(digits)})` : total;
};
console.log(`${ROUNDS} interleaved rounds, throughput the best, CPU the median; ${BIG_MIB} MiB transfers with curl, logins ${LOGIN_CONCURRENCY} at a time for ${LOGIN_SECONDS} s`);
for (const line of tlsReport) console.log(line);
console.log(`${'measure'.padEnd(36)}${column('miniftp')}${column('vsftpd')}`);
const rows = [
  ['RETR, PROT P (MiB/s)', 'retr', null],
  ['  server CPU s per GiB', 'retr', [1024, 2]],
  ['STOR, PROT P (MiB/s)', 'stor', null],
  ['  server CPU s per GiB', 'stor', [1024, 2]],
  [`TLS logins/s (${LOGIN_CONCURRENCY} at a time)`, 'sessions', null],
  ['  server CPU ms per login', 'sessions', [1000, 1]],
];
for (const [label, key, cpu] of rows) {
  const cell = (name) => (cpu ? cpuCell(name, key, ...cpu) : rate(best(name, key)).toFixed(1));
  console.log(`${label.padEnd(36)}${column(cell('miniftp'))}${column(cell('vsftpd'))}`);
}
const ratio = (key) => (rate(best('miniftp', key)) / rate(best('vsftpd', key))).toFixed(2);
console.log(`ftps ratio retr=${ratio('retr')} stor=${ratio('stor')} sessions=${ratio('sessions')}`);
