// Benchmark: ftpfs against `rclone mount` (Debian's rclone, FTP backend) on
// the same vsftpd on 127.0.0.1, in one run, as root. Each round mounts both
// afresh (cold caches) and times, in alternating order:
//   read   cat of a 1 GiB file through the mount
//   ls     ls -l of a directory of 10,000 files
//   write  cp of a 100 MiB file into the mount, until the server has it all
//   seek   a 4 KiB read at the end of the 1 GiB file, on a mount of its own
//   tail   tail -c 100 of the 1 GiB file, on a mount of its own
// (seek and tail three times a round, each on a fresh mount: they take a
// few milliseconds, where one late wake-up of a process shows)
// and then, once, the fault check (bench/ftpfs-fault.mjs): the server killed
// in the middle of an upload and restarted; the time until its file is whole.
// rclone runs with --vfs-cache-mode full, the mode with ftpfs's semantics
// (reads and writes through a local cache, upload after close), with
// --vfs-write-back 0s (upload at close, not 5 s later) and
// --vfs-read-chunk-size 0 (one RETR per file: rclone 1.60's chunked reads
// end RETRs early, which vsftpd answers with 426 and rclone counts as errors).
// Last line: ftpfs ratio read=<x> ls=<y> write=<z> seek=<s> tail=<t>
// (rclone time / ftpfs time). BENCH_ROUNDS=<n> sets the rounds (5),
// BENCH_ONLY=seek,tail (any of read,ls,write,seek,tail,fault) a subset.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULT_SIZE, faultCheck, faultSetup } from './ftpfs-fault.mjs';
import { descendants, exited, exitedWithin, waitUntil } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ftpfsScript = path.join(here, '..', 'dist', 'examples', 'ftpfs', 'ftpfs.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BIG = 1024 ** 3;
const WRITE = 100 * 1024 ** 2;
const FILES = 10_000;
const SEEK = 4096;
const TAIL = 100;
/** Cold reads (seek, tail) per round and file system. */
const COLD_SAMPLES = 3;
const MEASURES = ['read', 'ls', 'write', 'seek', 'tail', 'fault'];

function selectedMeasures() {
  const text = process.env.BENCH_ONLY;
  if (text === undefined || text.trim() === '') return new Set(MEASURES);
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !MEASURES.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    console.error(`bench:ftpfs BENCH_ONLY=${JSON.stringify(text)}: unknown ${unknown.join(', ') || 'nothing'}; choose from ${MEASURES.join(',')}`);
    process.exit(1);
  }
  return new Set(names);
}

const only = selectedMeasures();
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`bench:ftpfs BENCH_ROUNDS must be a whole number from 1, not ${JSON.stringify(process.env.BENCH_ROUNDS)}`);
  process.exit(1);
}

function which(program) {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => path.join(d, program)).find((p) => fs.existsSync(p));
}

function need() {
  if (process.getuid() !== 0) return 'needs root (vsftpd, useradd)';
  for (const program of ['vsftpd', 'rclone', 'fusermount3']) {
    if (!which(program)) return `needs ${program} (apt-get install ${program === 'fusermount3' ? 'fuse3' : program})`;
  }
  if (!fs.existsSync('/dev/fuse')) return 'needs /dev/fuse';
  return null;
}

const missing = need();
if (missing) {
  console.error(`bench:ftpfs ${missing}`);
  process.exit(1);
}

async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

function isMounted(mountpoint) {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === mountpoint);
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-bench-'));
fs.chmodSync(base, 0o755);
const root = path.join(base, 'root');
const user = `ftpbench${process.pid}`;
const password = crypto.randomBytes(12).toString('hex');
let server = null;
const mounts = [];
/** Commands running beside the bench (the fault check's cp): killed at clean-up. */
const background = new Set();

async function stopServer() {
  if (!server) return;
  // The sessions first listed, then killed: once the listener is gone they are no longer its descendants.
  for (const pid of [server.pid, ...descendants(server.pid)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await exited(server);
  server = null;
}

async function cleanUp() {
  for (const child of background) child.kill('SIGKILL');
  for (const m of mounts.splice(0)) await m.stop().catch(() => {});
  for (const child of background) await exitedWithin(child, 20_000);
  await stopServer();
  spawnSync('userdel', [user]);
  fs.rmSync(base, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanUp().then(() => process.exit(130));
  });
}

function greets(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('220'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts vsftpd on `port`; `maxRate` (bytes/s, 0 for none) bounds each
 * transfer. A port just left by a killed vsftpd is taken again: vsftpd
 * listens with SO_REUSEADDR.
 */
async function startServer(port, maxRate = 0) {
  const conf = path.join(base, 'vsftpd.conf');
  fs.writeFileSync(conf, [
    'listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022', 'chroot_local_user=YES',
    'allow_writeable_chroot=YES', 'pam_service_name=vsftpd', `secure_chroot_dir=${path.join(base, 'empty')}`,
    'seccomp_sandbox=NO', 'force_dot_files=YES', `local_max_rate=${maxRate}`, '',
  ].join('\n'));
  server = spawn(which('vsftpd'), [conf], { stdio: 'ignore' });
  const started = server;
  await waitUntil(async () => started.exitCode !== null || (await greets(port)), 10_000, `vsftpd on port ${port}`);
  if (started.exitCode !== null) {
    server = null;
    throw new Error(`vsftpd on port ${port} exited with ${started.exitCode} at start`);
  }
}

async function setUpServer() {
  fs.mkdirSync(root);
  fs.mkdirSync(path.join(base, 'empty'));
  execFileSync('useradd', ['-M', '-N', '-s', '/bin/sh', '-d', root, '-g', '65534', user]);
  execFileSync('chpasswd', ['-c', 'SHA512'], { input: `${user}:${password}\n` });
  const port = await freePort();
  await startServer(port);
  return port;
}

function makeFiles() {
  if (['read', 'seek', 'tail'].some((key) => only.has(key))) {
    const block = crypto.randomBytes(16 * 1024 ** 2);
    const fd = fs.openSync(path.join(root, 'big.bin'), 'w');
    // 64 different 16 MiB blocks would cost time for nothing: FTP does not compress.
    // Each is numbered at both ends, so that a read from the wrong block shows.
    for (let i = 0; i < BIG / block.length; i++) {
      block.writeUInt32LE(i, 0);
      block.writeUInt32LE(i, block.length - 4);
      fs.writeSync(fd, block);
    }
    fs.closeSync(fd);
  }
  if (only.has('ls')) {
    fs.mkdirSync(path.join(root, 'many'));
    for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(root, 'many', `file-${String(i).padStart(5, '0')}.txt`), `${i}\n`);
  }
  if (only.has('write')) fs.writeFileSync(path.join(base, 'write.bin'), crypto.randomBytes(WRITE));
  if (only.has('fault')) fs.writeFileSync(path.join(base, 'fault.bin'), crypto.randomBytes(FAULT_SIZE));
  execFileSync('chown', ['-R', `${user}:65534`, root]);
  execFileSync('sync');
}

async function mountWith(name, port, round) {
  const mountpoint = fs.mkdtempSync(path.join(base, `mnt-${name}-`));
  const cache = fs.mkdtempSync(path.join(base, `cache-${name}-`));
  const log = path.join(base, `${name}-${round}.log`);
  let child;
  if (name === 'ftpfs') {
    const logFd = fs.openSync(log, 'a');
    try {
      child = spawn(process.execPath, [ftpfsScript, `ftp://${user}@127.0.0.1:${port}/`, mountpoint, '--cache-dir', cache], {
        stdio: ['ignore', 'ignore', logFd], env: { ...process.env, FTPFS_PASSWORD: password },
      });
    } finally {
      fs.closeSync(logFd);
    }
  } else {
    const obscured = execFileSync('rclone', ['obscure', password], { encoding: 'utf8' }).trim();
    child = spawn('rclone', ['mount', `:ftp,host=127.0.0.1,port=${port},user=${user},pass=${obscured}:/`, mountpoint,
      '--vfs-cache-mode', 'full', '--vfs-write-back', '0s', '--vfs-read-chunk-size', '0', '--cache-dir', cache,
      '--config', '/dev/null', '--log-file', log], { stdio: 'ignore' });
  }
  const m = {
    mountpoint,
    log,
    async stop() {
      if (isMounted(mountpoint)) spawnSync('fusermount3', ['-u', '-z', mountpoint]);
      if (!(await exitedWithin(child, 20_000))) {
        child.kill('SIGKILL');
        await exited(child);
      }
      fs.rmSync(cache, { recursive: true, force: true });
    },
  };
  mounts.push(m);
  await waitUntil(() => isMounted(mountpoint) || child.exitCode !== null, 20_000, `${name} to mount`);
  if (!isMounted(mountpoint)) throw new Error(`${name} did not mount`);
  return m;
}

/** Mounts afresh, runs `use(mountpoint, log)`, unmounts whatever happened. */
async function withMount(name, port, round, use) {
  const m = await mountWith(name, port, round);
  try {
    return await use(m.mountpoint, m.log);
  } finally {
    mounts.splice(mounts.indexOf(m), 1);
    await m.stop();
  }
}

/** Runs a shell command; returns the seconds it took and what it wrote. */
function timedOutput(command) {
  const start = process.hrtime.bigint();
  const result = spawnSync('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  if (result.status !== 0) throw new Error(`${command}: ${result.error ?? result.stderr}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, stdout: result.stdout };
}

const timed = (command) => timedOutput(command).seconds;

function bytesOf(file, offset, length) {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = Buffer.alloc(length);
    fs.readSync(fd, bytes, 0, length, offset);
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/** Times `command` on a mount of its own (nothing cached) and checks that it printed `expected`. */
async function coldRead(name, port, round, what, command, expected) {
  return withMount(name, port, round, (mnt) => {
    execFileSync('sync');
    const { seconds, stdout } = timedOutput(command(mnt));
    if (!stdout.equals(expected)) {
      throw new Error(`${name}'s ${what} gave ${stdout.length} bytes that are not the file's (${stdout.subarray(0, 16).toString('hex')}...)`);
    }
    return seconds;
  });
}

async function lsReadWrite(name, port, round) {
  return withMount(name, port, round, async (mnt) => {
    const results = {};
    if (only.has('ls')) results.ls = timed(`ls -l '${mnt}/many' > /dev/null`);
    execFileSync('sync');
    if (only.has('read')) results.read = timed(`cat '${mnt}/big.bin' > /dev/null`);
    execFileSync('sync');
    if (only.has('write')) {
      const target = `w-${name}-${round}.bin`;
      const start = process.hrtime.bigint();
      try {
        timed(`cp '${path.join(base, 'write.bin')}' '${mnt}/${target}'`);
        // Written means on the server: rclone uploads after close, ftpfs during it.
        await waitUntil(() => fs.existsSync(path.join(root, target)) && fs.statSync(path.join(root, target)).size === WRITE, 120_000, `${name}'s upload`);
        results.write = Number(process.hrtime.bigint() - start) / 1e9;
      } finally {
        fs.rmSync(path.join(root, target), { force: true });
      }
    }
    return results;
  });
}

async function measure(name, port, round) {
  const results = ['ls', 'read', 'write'].some((key) => only.has(key)) ? await lsReadWrite(name, port, round) : {};
  execFileSync('sync');
  const big = path.join(root, 'big.bin');
  const dd = `dd bs=${SEEK} skip=${BIG / SEEK - 1} count=1 status=none`;
  const cold = [
    ['seek', `${SEEK}-byte read at ${BIG - SEEK}`, (mnt) => `${dd} if='${mnt}/big.bin'`, bytesOf(big, BIG - SEEK, SEEK)],
    ['tail', `tail -c ${TAIL}`, (mnt) => `tail -c ${TAIL} '${mnt}/big.bin'`, bytesOf(big, BIG - TAIL, TAIL)],
  ].filter(([key]) => only.has(key));
  for (const [key] of cold) results[key] = [];
  for (let i = 0; i < COLD_SAMPLES; i++) {
    for (const [key, what, command, expected] of cold) results[key].push(await coldRead(name, port, round, what, command, expected));
  }
  return results;
}

/** Seconds as printed: milliseconds below one second (seek and tail take a few). */
const seconds = (s) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const TESTS = [
  ['read', 'read 1 GiB (cat)'],
  ['ls', `ls -l of ${FILES} files`],
  ['write', 'write 100 MiB (cp)'],
  ['seek', '4 KiB at the end (dd)'],
  ['tail', `tail -c ${TAIL} of 1 GiB`],
].filter(([key]) => only.has(key));

try {
  const port = await setUpServer();
  makeFiles();
  const times = { ftpfs: {}, rclone: {} };
  for (let round = 0; round < ROUNDS && TESTS.length > 0; round++) {
    const order = round % 2 === 0 ? ['ftpfs', 'rclone'] : ['rclone', 'ftpfs'];
    for (const name of order) {
      const r = await measure(name, port, round);
      for (const key of Object.keys(r)) (times[name][key] ??= []).push(...[r[key]].flat());
      console.log(`round ${round + 1} ${name.padEnd(6)} ${Object.entries(r).map(([key, s]) => `${key} ${[s].flat().map(seconds).join(' ')}`).join('  ')}`);
    }
  }
  const faults = {};
  if (only.has('fault')) {
    const context = { port, root, base, background, mount: withMount, startServer, stopServer };
    for (const name of ['ftpfs', 'rclone']) {
      faults[name] = await faultCheck(name, context);
      console.log(`fault  ${name.padEnd(6)} ${faults[name].text}`);
    }
  }
  const rclone = process.env.RCLONE_VERSION ?? execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0];
  const ratio = {};
  if (TESTS.length > 0) {
    console.log(`\nmedian of ${ROUNDS} rounds, ${COLD_SAMPLES} samples a round for seek and tail (${rclone}, vsftpd, 127.0.0.1)`);
    console.log(`${'test'.padEnd(28)}${'ftpfs'.padStart(10)}${'rclone'.padStart(10)}${'ratio'.padStart(8)}`);
    for (const [key, label] of TESTS) {
      const f = median(times.ftpfs[key]);
      const r = median(times.rclone[key]);
      ratio[key] = r / f;
      console.log(`${label.padEnd(28)}${seconds(f).padStart(10)}${seconds(r).padStart(10)}${ratio[key].toFixed(2).padStart(8)}`);
    }
  }
  if (only.has('fault')) {
    console.log(`\nfault check: ${faultSetup}`);
    console.log(`rclone fault: ${faults.rclone.text}`);
    console.log(`ftpfs fault: ${faults.ftpfs.text}`);
    console.log(`ftpfs fault=${faults.ftpfs.result}`);
  }
  if (TESTS.length > 0) console.log(`ftpfs ratio ${TESTS.map(([key]) => `${key}=${ratio[key].toFixed(2)}`).join(' ')}`);
} finally {
  await cleanUp();
}
