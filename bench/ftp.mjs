// Benchmark: miniftp against vsftpd and pure-ftpd (Debian's packages; pure-ftpd
// extracted from its .deb, skipped with the reason printed when it cannot be
// had), all started here on 127.0.0.1 with equivalent settings, the bench
// users' passwords hashed with SHA-512 (so that the servers' own work shows,
// not yescrypt's). Each round starts every server afresh and measures, with
// the CPU time of the server's whole process tree per operation:
//   big       RETR and STOR of a 1 GiB file (curl; BENCH_BIG_MIB sets the size)
//   small     200 x RETR of a 1 KiB file on one session, PASV each
//   logins    sessions per second, 20 at a time (connect, USER, PASS, QUIT)
//   connects  connections per second, 20 at a time (banner, QUIT; no login)
//   list      LIST and MLSD of a 10,000-file directory on one session
//   idle      PSS per idle logged-in session of one user (200 sessions)
//   users     30 distinct users, one idle session each, logged in one after
//             the other on the fresh server: PSS per user, each first login's time
// Medians of the rounds. Last line:
//   ftp ratio retr=<r> stor=<r> small=<r> sessions=<r> connects=<r> list=<r> mlsd=<r> mem=<r> users_mib=<MiB> first_login_ms=<ms>
// each ratio miniftp over the best of vsftpd and pure-ftpd (higher is better;
// list, mlsd and mem: theirs over ours), users_mib miniftp's PSS per
// distinct user (an idle session's PSS below 4 KiB counts as 4 KiB in mem),
// first_login_ms the p50 of its first logins ('-' for what
// was not measured). BENCH_ROUNDS=<n> sets the rounds (3), BENCH_ONLY=small,list
// (any of big,small,logins,connects,list,idle,users) a subset, BENCH_SERVERS=
// miniftp,pure-ftpd (any of vsftpd,pure-ftpd,miniftp) the servers,
// BENCH_MINIFTP_CONFIG='spare_workers=32 ...' settings added to miniftp's
// configuration (space-separated; printed with the results). The users
// measure reads miniftp's PSS once the spares its logins took are replaced,
// so that with any spare_workers the difference is the users' workers.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PASSWORD, addUsers, atExit, benchSetup, descendants, freePort, pssKiB, pureFtpdBinary, requireRootAndVsftpd, settleTree, startMiniftp, startPureFtpd,
  startVsftpd, stopServer, timed, waitForPort,
} from './ftp-servers.mjs';
import { waitUntil } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const client = path.join(here, 'ftp-client.mjs');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const SMALL_RETRS = 200;
const LIST_FILES = 10_000;
const LISTINGS = 5;
const CONCURRENCY = 20;
const LOAD_SECONDS = 3;
const IDLE_SESSIONS = 200;
const DISTINCT_USERS = 30;
const MEASURES = ['big', 'small', 'logins', 'connects', 'list', 'idle', 'users'];
const SERVERS = ['vsftpd', 'pure-ftpd', 'miniftp'];

/** The names in env `variable` (all of `known` when unset), or an exit naming what is unknown. */
function selected(variable, known) {
  const text = process.env[variable];
  if (text === undefined || text.trim() === '') return new Set(known);
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    console.error(`bench:ftp ${variable}=${JSON.stringify(text)}: unknown ${unknown.join(', ') || 'nothing'}; choose from ${known.join(',')}`);
    process.exit(1);
  }
  return new Set(names);
}

const only = selected('BENCH_ONLY', MEASURES);
const serverNames = selected('BENCH_SERVERS', SERVERS);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`bench:ftp BENCH_ROUNDS must be a whole number from 1, not ${JSON.stringify(process.env.BENCH_ROUNDS)}`);
  process.exit(1);
}
if (!Number.isInteger(BIG_MIB) || BIG_MIB < 1) {
  console.error(`bench:ftp BENCH_BIG_MIB must be a whole number from 1, not ${JSON.stringify(process.env.BENCH_BIG_MIB)}`);
  process.exit(1);
}

requireRootAndVsftpd('bench:ftp');
const { dir, user, home, chownHome } = benchSetup('bench-ftp-', only.has('big') ? BIG_MIB : 0, { cryptMethod: 'SHA512' });
fs.writeFileSync(path.join(home, 'small.bin'), Buffer.alloc(1024, 0x5a));
if (only.has('list')) {
  fs.mkdirSync(path.join(home, 'list'));
  for (let i = 0; i < LIST_FILES; i++) fs.writeFileSync(path.join(home, 'list', `file-${String(i).padStart(5, '0')}.txt`), '');
}
chownHome();
const distinctUsers = new Map();
if (only.has('users')) {
  for (let i = 0; i < DISTINCT_USERS; i++) distinctUsers.set(`${user}u${i}`, path.join(dir, 'users', String(i)));
  addUsers(distinctUsers, 'SHA512');
}

const servers = [];
if (serverNames.has('vsftpd')) servers.push({ name: 'vsftpd', port: 19021, start: (port) => startVsftpd(dir, port) });
if (serverNames.has('pure-ftpd')) {
  const pure = pureFtpdBinary();
  if ('reason' in pure) console.log(`pure-ftpd skipped: ${pure.reason}`);
  else servers.push({ name: 'pure-ftpd', port: 19071, start: (port) => startPureFtpd(pure.binary, dir, port) });
}
const miniftpExtra = (process.env.BENCH_MINIFTP_CONFIG ?? '').split(/\s+/).filter(Boolean);
if (miniftpExtra.some((line) => !/^[a-z_]+=\S*$/.test(line))) {
  console.error(`bench:ftp BENCH_MINIFTP_CONFIG=${JSON.stringify(process.env.BENCH_MINIFTP_CONFIG)}: each word must be setting=value`);
  process.exit(1);
}
if (miniftpExtra.length > 0) console.log(`miniftp with ${miniftpExtra.join(' ')}`);
if (serverNames.has('miniftp')) servers.push({ name: 'miniftp', port: 19121, start: (port) => startMiniftp(dir, port, miniftpExtra) });

/** Runs the client in `mode` to its end (at most 5 minutes) and answers its output's words. */
function runClient(mode, port, ...args) {
  return execFileSync(process.execPath, [client, mode, String(port), ...args], { encoding: 'utf8', timeout: 300_000 }).trim().split(' ');
}

/** Starts the client in a holding mode (idle, users): its "ready" line's words, and `release()`, which ends it. */
async function holdingClient(mode, port, ...args) {
  const child = spawn(process.execPath, [client, mode, String(port), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  atExit(() => child.kill('SIGKILL'));
  const ended = new Promise((resolve) => child.once('exit', resolve));
  const words = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the ${mode} client is not ready after 120 s`)), 120_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim().split(' '));
      }
    });
    ended.then(() => {
      clearTimeout(timer);
      reject(new Error(`the ${mode} client failed`));
    });
  });
  if (words[0] !== 'ready') throw new Error(`the ${mode} client said ${words.join(' ')}`);
  return {
    words: words.slice(1),
    release: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await ended;
      clearTimeout(timer);
    },
  };
}

/** Runs `work` (answering { count, seconds, ... }) and adds the CPU seconds of the server's whole tree it took. */
async function withCpu(server, work) {
  await settleTree(server.child.pid);
  const before = server.cpuSeconds();
  const result = work();
  await settleTree(server.child.pid);
  return { ...result, cpu: server.cpuSeconds() - before };
}

/** How many of miniftp's spare workers wait for an identity (its loader's processes still root); 0 for the others. */
function waitingSpares(server) {
  if (server.name !== 'miniftp') return 0;
  return descendants(server.child.pid).filter((pid) => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      return /^Uid:\s+0\s/m.test(status) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('miniftp-worker');
    } catch {
      return false;
    }
  }).length;
}

/** The tree's PSS (KiB) once it has settled and half a second has passed. */
async function settledPss(server) {
  await settleTree(server.child.pid);
  await new Promise((r) => setTimeout(r, 500));
  return pssKiB(server.child.pid);
}

const url = (port, file) => `ftp://${user}:${PASSWORD}@127.0.0.1:${port}/${file}`;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const measures = {
  async big(server) {
    const upload = path.join(home, 'upload.bin');
    const retr = await withCpu(server, () => ({ count: BIG_MIB, seconds: timed('curl', ['-sS', '--max-time', '600', '-o', '/dev/null', url(server.port, 'big.bin')]) }));
    const stor = await withCpu(server, () => ({ count: BIG_MIB, seconds: timed('curl', ['-sS', '--max-time', '600', '-T', path.join(home, 'big.bin'), url(server.port, 'upload.bin')]) }));
    const size = fs.statSync(upload).size;
    fs.rmSync(upload);
    if (size !== BIG_MIB * 2 ** 20) throw new Error(`${server.name}: the upload has ${size} bytes`);
    return { retr, stor };
  },
  async small(server) {
    return {
      small: await withCpu(server, () => {
        const [count, seconds] = runClient('retr', server.port, user, PASSWORD, String(SMALL_RETRS), 'small.bin').map(Number);
        return { count, seconds };
      }),
    };
  },
  async logins(server) {
    return { sessions: await withCpu(server, () => load(server, 'sessions', user, PASSWORD)) };
  },
  async connects(server) {
    return { connects: await withCpu(server, () => load(server, 'connects', '-', '-')) };
  },
  async list(server) {
    const result = {};
    for (const command of ['LIST', 'MLSD']) {
      const listing = await withCpu(server, () => {
        const words = runClient('list', server.port, user, PASSWORD, String(LISTINGS), command, 'list');
        if (words[0] === 'unsupported') return { count: 0, seconds: 0 };
        const lines = Number(words.pop().slice('lines='.length));
        if (lines < LIST_FILES) throw new Error(`${server.name}: ${command} gave ${lines} lines, not ${LIST_FILES}`);
        // The median listing's time stands for each.
        return { count: LISTINGS, seconds: median(words.map(Number)) * LISTINGS };
      });
      if (listing.count > 0) result[command.toLowerCase()] = listing;
    }
    return result;
  },
  async idle(server) {
    // The first session (miniftp starts the user's worker for it) is in the baseline.
    const first = await holdingClient('idle', server.port, user, PASSWORD, '1');
    try {
      const before = await settledPss(server);
      const rest = await holdingClient('idle', server.port, user, PASSWORD, String(IDLE_SESSIONS));
      try {
        return { idle: { count: IDLE_SESSIONS, kib: (await settledPss(server)) - before } };
      } finally {
        await rest.release();
      }
    } finally {
      await first.release();
    }
  },
  async users(server) {
    const before = await settledPss(server);
    const sparesBefore = waitingSpares(server);
    const held = await holdingClient('users', server.port, '-', PASSWORD, [...distinctUsers.keys()].join(','));
    try {
      const logins = held.words[0].split(',').map(Number);
      // miniftp replaces the spares the logins took: the difference is then the users' workers alone.
      await waitUntil(() => waitingSpares(server) >= sparesBefore, 30_000, `${server.name}'s spare workers to be replaced`);
      return { users: { count: DISTINCT_USERS, kib: (await settledPss(server)) - before, loginMs: logins } };
    } finally {
      await held.release();
    }
  },
};

/** Sessions or connections (client `mode`) for LOAD_SECONDS, CONCURRENCY at a time. */
function load(server, mode, name, password) {
  const [count, errors, seconds] = runClient(mode, server.port, name, password, String(CONCURRENCY), String(LOAD_SECONDS)).map(Number);
  if (count === 0 || errors > count / 100) throw new Error(`${server.name}: ${errors} failed ${mode} (${count} succeeded)`);
  return { count, seconds };
}

const results = Object.fromEntries(servers.map((s) => [s.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Each round in another order: no server always goes first.
  const order = servers.map((_, i) => servers[(i + round) % servers.length]);
  for (const s of order) {
    s.port = await freePort(s.port);
    const server = Object.assign(s.start(s.port), { port: s.port });
    try {
      await waitForPort(s.port, server);
      // A first session warms the server up (miniftp starts the user's worker then).
      runClient('retr', s.port, user, PASSWORD, '1', 'small.bin');
      const measured = {};
      for (const name of MEASURES) if (only.has(name)) Object.assign(measured, await measures[name](server));
      results[s.name].push(measured);
    } finally {
      await stopServer(server);
    }
  }
}

/** The median over the rounds of `f` of `name`'s result `key`, or null where it was not measured. */
function stat(name, key, f) {
  const values = (results[name] ?? []).map((r) => r[key]).filter((r) => r !== undefined).map(f);
  return values.length === 0 ? null : median(values);
}
const rate = (r) => r.count / r.seconds;
const seconds = (r) => r.seconds / r.count;
const cpuMs = (r) => (r.cpu * 1000) / r.count;
const perMiB = (r) => r.kib / 1024 / r.count;
// Below a page per session the difference is the noise of a heap's collections, not the sessions' cost.
const perSessionMiB = (r) => Math.max(perMiB(r), 4 / 1024);
const rows = [
  ['RETR big, MiB/s', 'retr', rate, 0],
  ['  server CPU s per GiB', 'retr', (r) => (r.cpu * 1024) / r.count, 2],
  ['STOR big, MiB/s', 'stor', rate, 0],
  ['  server CPU s per GiB', 'stor', (r) => (r.cpu * 1024) / r.count, 2],
  [`${SMALL_RETRS} x RETR 1 KiB (PASV each), /s`, 'small', rate, 0],
  ['  server CPU ms per RETR', 'small', cpuMs, 2],
  [`logins/s, ${CONCURRENCY} at a time`, 'sessions', rate, 0],
  ['  server CPU ms per login', 'sessions', cpuMs, 2],
  [`connects/s (banner, QUIT), ${CONCURRENCY} at a time`, 'connects', rate, 0],
  ['  server CPU ms per connect', 'connects', cpuMs, 2],
  [`LIST of ${LIST_FILES} files, s`, 'list', seconds, 3],
  ['  server CPU ms per LIST', 'list', cpuMs, 1],
  [`MLSD of ${LIST_FILES} files, s`, 'mlsd', seconds, 3],
  ['  server CPU ms per MLSD', 'mlsd', cpuMs, 1],
  [`${DISTINCT_USERS} distinct users: PSS per user, MiB`, 'users', perMiB, 2],
  [`${DISTINCT_USERS} distinct users: first logins, s`, 'users', (r) => r.loginMs.reduce((a, b) => a + b, 0) / 1000, 2],
  ['  first login p50, ms', 'users', (r) => median(r.loginMs), 1],
  ['PSS per idle session of one user, MiB', 'idle', perMiB, 3],
];
const names = servers.map((s) => s.name);
const column = (text) => String(text).padStart(11);
console.log(`medians of ${ROUNDS} rounds; big transfers of ${BIG_MIB} MiB; passwords hashed with SHA-512`);
console.log(`${'measure'.padEnd(46)}${names.map(column).join('')}`);
for (const [label, key, f, digits] of rows) {
  if (!names.some((n) => stat(n, key, f) !== null)) continue;
  console.log(`${label.padEnd(46)}${names.map((n) => column(stat(n, key, f)?.toFixed(digits) ?? '-')).join('')}`);
}

const references = names.filter((n) => n !== 'miniftp');
/** miniftp's `f` of `key` against the best reference's: ours over theirs, or theirs over ours where `lowerIsBetter`. */
function ratio(key, f, lowerIsBetter = false) {
  const ours = stat('miniftp', key, f);
  const theirs = references.map((n) => stat(n, key, f)).filter((v) => v !== null);
  if (ours === null || theirs.length === 0) return '-';
  return (lowerIsBetter ? Math.min(...theirs) / ours : ours / Math.max(...theirs)).toFixed(2);
}
const ownValue = (key, f, digits) => stat('miniftp', key, f)?.toFixed(digits) ?? '-';
console.log([
  'ftp ratio', `retr=${ratio('retr', rate)}`, `stor=${ratio('stor', rate)}`, `small=${ratio('small', rate)}`,
  `sessions=${ratio('sessions', rate)}`, `connects=${ratio('connects', rate)}`, `list=${ratio('list', seconds, true)}`,
  `mlsd=${ratio('mlsd', seconds, true)}`, `mem=${ratio('idle', perSessionMiB, true)}`, `users_mib=${ownValue('users', perMiB, 2)}`,
  `first_login_ms=${ownValue('users', (r) => median(r.loginMs), 1)}`,
].join(' '));
