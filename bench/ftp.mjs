// Benchmark: miniftp against vsftpd (Debian's package), both started here on
// 127.0.0.1 with equivalent settings, measured in one run: RETR and STOR of
// a 1 GiB file (curl), sessions per second (connect, log in, quit; 20 at a
// time), LIST of a 10,000-file directory (curl), and the memory (PSS) of all
// server processes holding 200 idle logged-in sessions. Last line:
//   ftp ratio retr=<x> stor=<y> sessions=<z> list=<w> mem=<v>
// (miniftp over vsftpd, higher is better; mem is vsftpd's PSS over miniftp's).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const LIST_FILES = 10_000;
const IDLE_SESSIONS = 200;
const PASSWORD = 'bench-Secret-1';

if (process.getuid() !== 0) {
  console.error('bench:ftp needs root (it creates a user and starts both servers)');
  process.exit(2);
}
if (!fs.existsSync('/usr/sbin/vsftpd')) {
  console.error('bench:ftp needs vsftpd: apt-get install -y vsftpd');
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ftp-'));
fs.chmodSync(dir, 0o755);
const user = `ftpb${process.pid % 100000}`;
const home = path.join(dir, 'home');
const cleanup = [];
process.on('exit', () => {
  for (const step of cleanup.reverse()) {
    try {
      step();
    } catch {}
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

function setup() {
  fs.mkdirSync(home);
  execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/bash', user]);
  cleanup.push(() => execFileSync('userdel', [user], { stdio: 'ignore' }));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('chpasswd', [], { input: `${user}:${PASSWORD}\n` });
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const fd = fs.openSync(path.join(home, 'big.bin'), 'w');
  for (let i = 0; i < BIG_MIB; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.mkdirSync(path.join(home, 'list'));
  for (let i = 0; i < LIST_FILES; i++) fs.writeFileSync(path.join(home, 'list', `file-${String(i).padStart(5, '0')}.txt`), '');
  execFileSync('chown', ['-R', `${user}:${user}`, home]);
  fs.mkdirSync(path.join(dir, 'empty'));
}

function startServer(name, command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  cleanup.push(() => child.kill('SIGKILL'));
  return { name, child, output: () => out };
}

async function waitForPort(port, server) {
  for (let i = 0; i < 300; i++) {
    try {
      execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' });
      return;
    } catch {
      if (server.child.exitCode !== null) throw new Error(`${server.name} exited:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${server.name} does not listen on ${port}:\n${server.output()}`);
}

function vsftpd(port) {
  const conf = path.join(dir, 'vsftpd.conf');
  fs.writeFileSync(conf, [
    'listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022',
    'max_clients=2000', 'max_per_ip=1000', 'xferlog_enable=NO', 'seccomp_sandbox=NO',
    `secure_chroot_dir=${path.join(dir, 'empty')}`, 'pam_service_name=vsftpd', 'pasv_enable=YES', 'delay_failed_login=1',
  ].join('\n') + '\n');
  return startServer('vsftpd', '/usr/sbin/vsftpd', [conf]);
}

function miniftp(port) {
  const conf = path.join(dir, 'miniftp.conf');
  fs.writeFileSync(conf, [
    'listen_address=127.0.0.1', `listen_port=${port}`,
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022',
    'max_clients=2000', 'max_per_ip=1000', 'xferlog_enable=NO',
    `secure_chroot_dir=${path.join(dir, 'empty')}`,
  ].join('\n') + '\n');
  return startServer('miniftp', process.execPath, [path.join(root, 'dist', 'examples', 'miniftp', 'main.js'), conf]);
}

function timed(command, args) {
  const start = process.hrtime.bigint();
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const url = (port, file) => `ftp://${user}:${PASSWORD}@127.0.0.1:${port}/${file}`;

function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

function pssKiB(pid) {
  let total = 0;
  for (const p of descendants(pid)) {
    try {
      total += Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))[1]);
    } catch {}
  }
  return total;
}

async function idleMemory(port, server) {
  const client = spawn(process.execPath, [path.join(here, 'ftp-client.mjs'), 'idle', String(port), user, PASSWORD, String(IDLE_SESSIONS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanup.push(() => client.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    let out = '';
    client.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    client.once('exit', () => reject(new Error('idle client failed')));
  });
  await new Promise((r) => setTimeout(r, 500));
  const kib = pssKiB(server.child.pid);
  client.stdin.end();
  await new Promise((r) => client.once('exit', r));
  return kib;
}

async function measure(server, port) {
  await waitForPort(port, server);
  const mib = BIG_MIB;
  // A first session warms the server up (miniftp starts the user's worker
  // then); each transfer is the best of three.
  execFileSync('curl', ['-sS', '-o', '/dev/null', url(port, 'list/file-00000.txt')]);
  let retr = 0;
  let stor = 0;
  for (let i = 0; i < 3; i++) {
    retr = Math.max(retr, mib / timed('curl', ['-sS', '-o', '/dev/null', url(port, 'big.bin')]));
    stor = Math.max(stor, mib / timed('curl', ['-sS', '-T', path.join(home, 'big.bin'), url(port, 'upload.bin')]));
    fs.rmSync(path.join(home, 'upload.bin'), { force: true });
  }
  const load = execFileSync(process.execPath, [path.join(here, 'ftp-client.mjs'), 'sessions', String(port), user, PASSWORD, '20', '5'], { encoding: 'utf8' });
  const [count, errors, seconds] = load.trim().split(' ').map(Number);
  if (errors > count / 100) throw new Error(`${server.name}: ${errors} failed sessions`);
  const sessions = count / seconds;
  let listSeconds = 0;
  for (let i = 0; i < 5; i++) listSeconds += timed('curl', ['-sS', '-o', '/dev/null', url(port, 'list/')]);
  const list = 5 / listSeconds;
  const mem = await idleMemory(port, server);
  return { retr, stor, sessions, list, mem };
}

setup();
const results = { miniftp: [], vsftpd: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make, port] of [['vsftpd', vsftpd, 19021], ['miniftp', miniftp, 19121]]) {
    const server = make(port);
    try {
      results[name].push(await measure(server, port));
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => (server.child.exitCode !== null ? r() : server.child.once('exit', r)));
      for (const p of descendants(server.child.pid).slice(1)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
      }
    }
  }
}

const best = (name, key) => (key === 'mem' ? Math.min : Math.max)(...results[name].map((r) => r[key]));
const rows = [
  ['RETR 1 GiB (MiB/s)', 'retr'], ['STOR 1 GiB (MiB/s)', 'stor'], ['sessions/s (20 at a time)', 'sessions'],
  ['LIST of 10,000 files (/s)', 'list'], [`PSS, ${IDLE_SESSIONS} idle sessions (MiB)`, 'mem'],
];
console.log(`best of ${ROUNDS} rounds`);
console.log(`${'measure'.padEnd(34)} ${'miniftp'.padStart(10)} ${'vsftpd'.padStart(10)}`);
for (const [label, key] of rows) {
  const scale = key === 'mem' ? 1 / 1024 : 1;
  console.log(`${label.padEnd(34)} ${(best('miniftp', key) * scale).toFixed(1).padStart(10)} ${(best('vsftpd', key) * scale).toFixed(1).padStart(10)}`);
}
const ratio = (key) => (key === 'mem' ? best('vsftpd', key) / best('miniftp', key) : best('miniftp', key) / best('vsftpd', key)).toFixed(2);
console.log(`ftp ratio retr=${ratio('retr')} stor=${ratio('stor')} sessions=${ratio('sessions')} list=${ratio('list')} mem=${ratio('mem')}`);
