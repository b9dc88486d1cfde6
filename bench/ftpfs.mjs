// Benchmark: ftpfs against `rclone mount` (Debian's rclone, FTP backend) on
// the same vsftpd on 127.0.0.1, in one run, as root. Each round mounts both
// afresh (cold caches) and times, in alternating order:
//   read   cat of a 1 GiB file through the mount
//   ls     ls -l of a directory of 10,000 files
//   write  cp of a 100 MiB file into the mount, until the server has it all
// rclone runs with --vfs-cache-mode full, the mode with ftpfs's semantics
// (reads and writes through a local cache, upload after close), with
// --vfs-write-back 0s (upload at close, not 5 s later) and
// --vfs-read-chunk-size 0 (one RETR per file: rclone 1.60's chunked reads
// end RETRs early, which vsftpd answers with 426 and rclone counts as errors).
// Last line: ftpfs ratio read=<x> ls=<y> write=<z>  (rclone time / ftpfs time)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ftpfsScript = path.join(here, '..', 'dist', 'examples', 'ftpfs', 'ftpfs.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BIG = 1024 ** 3;
const WRITE = 100 * 1024 ** 2;
const FILES = 10_000;

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
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

function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const found = [];
  const stack = [pid];
  while (stack.length > 0 && found.length < 10_000) {
    for (const child of children.get(stack.pop()) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('close', r));
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ftpfs-bench-'));
fs.chmodSync(base, 0o755);
const root = path.join(base, 'root');
const user = `ftpbench${process.pid}`;
const password = crypto.randomBytes(12).toString('hex');
let server = null;
const mounts = [];

async function cleanUp() {
  for (const m of mounts.splice(0)) await m.stop().catch(() => {});
  if (server) {
    for (const pid of [server.pid, ...descendants(server.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await exited(server);
    server = null;
  }
  spawnSync('userdel', [user]);
  fs.rmSync(base, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanUp().then(() => process.exit(130));
  });
}

async function startVsftpd() {
  fs.mkdirSync(root);
  fs.mkdirSync(path.join(base, 'empty'));
  execFileSync('useradd', ['-M', '-N', '-s', '/bin/sh', '-d', root, '-g', '65534', user]);
  execFileSync('chpasswd', ['-c', 'SHA512'], { input: `${user}:${password}\n` });
  const port = await freePort();
  const conf = path.join(base, 'vsftpd.conf');
  fs.writeFileSync(conf, [
    'listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022', 'chroot_local_user=YES',
    'allow_writeable_chroot=YES', 'pam_service_name=vsftpd', `secure_chroot_dir=${path.join(base, 'empty')}`,
    'seccomp_sandbox=NO', 'force_dot_files=YES', '',
  ].join('\n'));
  server = spawn(which('vsftpd'), [conf], { stdio: 'ignore' });
  await waitUntil(() => new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('220'));
    });
    socket.once('error', () => resolve(false));
  }), 10_000, 'vsftpd');
  return port;
}

function makeFiles() {
  const block = crypto.randomBytes(16 * 1024 ** 2);
  const fd = fs.openSync(path.join(root, 'big.bin'), 'w');
  // 64 different 16 MiB blocks would cost time for nothing: FTP does not compress.
  for (let i = 0; i < BIG / block.length; i++) {
    block.writeUInt32LE(i, 0);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  fs.mkdirSync(path.join(root, 'many'));
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(root, 'many', `file-${String(i).padStart(5, '0')}.txt`), `${i}\n`);
  fs.writeFileSync(path.join(base, 'write.bin'), crypto.randomBytes(WRITE));
  execFileSync('chown', ['-R', `${user}:65534`, root]);
  execFileSync('sync');
}

async function mountWith(name, port, round) {
  const mountpoint = fs.mkdtempSync(path.join(base, `mnt-${name}-`));
  const cache = fs.mkdtempSync(path.join(base, `cache-${name}-`));
  let child;
  if (name === 'ftpfs') {
    child = spawn(process.execPath, [ftpfsScript, `ftp://${user}@127.0.0.1:${port}/`, mountpoint, '--cache-dir', cache], {
      stdio: 'ignore', env: { ...process.env, FTPFS_PASSWORD: password },
    });
  } else {
    const obscured = execFileSync('rclone', ['obscure', password], { encoding: 'utf8' }).trim();
    child = spawn('rclone', ['mount', `:ftp,host=127.0.0.1,port=${port},user=${user},pass=${obscured}:/`, mountpoint,
      '--vfs-cache-mode', 'full', '--vfs-write-back', '0s', '--vfs-read-chunk-size', '0', '--cache-dir', cache,
      '--config', '/dev/null', '--log-file', path.join(base, `rclone-${round}.log`)], { stdio: 'ignore' });
  }
  await waitUntil(() => isMounted(mountpoint) || child.exitCode !== null, 20_000, `${name} to mount`);
  if (!isMounted(mountpoint)) throw new Error(`${name} did not mount`);
  const m = {
    mountpoint,
    async stop() {
      if (isMounted(mountpoint)) spawnSync('fusermount3', ['-u', '-z', mountpoint]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited(child);
      clearTimeout(timer);
      fs.rmSync(cache, { recursive: true, force: true });
    },
  };
  mounts.push(m);
  return m;
}

/** Runs a shell command; returns the seconds it took. */
function timed(command) {
  const start = process.hrtime.bigint();
  const result = spawnSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  if (result.status !== 0) throw new Error(`${command}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function measure(name, port, round) {
  const m = await mountWith(name, port, round);
  const mnt = m.mountpoint;
  const results = {};
  results.ls = timed(`ls -l '${mnt}/many' > /dev/null`);
  execFileSync('sync');
  results.read = timed(`cat '${mnt}/big.bin' > /dev/null`);
  execFileSync('sync');
  const target = `w-${name}-${round}.bin`;
  const start = process.hrtime.bigint();
  timed(`cp '${path.join(base, 'write.bin')}' '${mnt}/${target}'`);
  // Written means on the server: rclone uploads after close, ftpfs during it.
  await waitUntil(() => fs.existsSync(path.join(root, target)) && fs.statSync(path.join(root, target)).size === WRITE, 120_000, `${name}'s upload`);
  results.write = Number(process.hrtime.bigint() - start) / 1e9;
  await m.stop();
  mounts.splice(mounts.indexOf(m), 1);
  fs.rmSync(path.join(root, target), { force: true });
  execFileSync('sync');
  return results;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const port = await startVsftpd();
  makeFiles();
  const times = { ftpfs: { read: [], ls: [], write: [] }, rclone: { read: [], ls: [], write: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['ftpfs', 'rclone'] : ['rclone', 'ftpfs'];
    for (const name of order) {
      const r = await measure(name, port, round);
      for (const key of Object.keys(r)) times[name][key].push(r[key]);
      console.log(`round ${round + 1} ${name.padEnd(6)} read ${r.read.toFixed(2)} s  ls ${r.ls.toFixed(2)} s  write ${r.write.toFixed(2)} s`);
    }
  }
  const rclone = process.env.RCLONE_VERSION ?? execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`\nmedian of ${ROUNDS} rounds, seconds (${rclone}, vsftpd, 127.0.0.1)`);
  console.log(`${'test'.padEnd(28)}${'ftpfs'.padStart(8)}${'rclone'.padStart(8)}${'ratio'.padStart(8)}`);
  const ratio = {};
  for (const [key, label] of [['read', 'read 1 GiB (cat)'], ['ls', `ls -l of ${FILES} files`], ['write', 'write 100 MiB (cp)']]) {
    const f = median(times.ftpfs[key]);
    const r = median(times.rclone[key]);
    ratio[key] = r / f;
    console.log(`${label.padEnd(28)}${f.toFixed(2).padStart(8)}${r.toFixed(2).padStart(8)}${ratio[key].toFixed(2).padStart(8)}`);
  }
  console.log(`ftpfs ratio read=${ratio.read.toFixed(2)} ls=${ratio.ls.toFixed(2)} write=${ratio.write.toFixed(2)}`);
} finally {
  await cleanUp();
}
