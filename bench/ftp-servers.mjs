// What bench/ftp.mjs and bench/ftps.mjs share: a temp dir and local users
// (removed at exit, on success or failure), miniftp, vsftpd (Debian's
// package) and pure-ftpd (Debian's, extracted from its .deb: it conflicts
// with vsftpd in apt) started on 127.0.0.1 with equivalent settings plus a
// bench's own lines, and the servers' processes: their tree, its CPU time
// and memory.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const PASSWORD = 'bench-Secret-1';
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

const cleanup = [];
/** Runs `step` when the process exits, however it exits; the last registered runs first. */
export function atExit(step) {
  cleanup.push(step);
}
process.on('exit', () => {
  for (const step of cleanup.reverse()) {
    try {
      step();
    } catch {}
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

/** Exits with a message unless this runs as root and vsftpd is installed. */
export function requireRootAndVsftpd(bench) {
  if (process.getuid() !== 0) {
    console.error(`${bench} needs root (it creates a user and starts both servers)`);
    process.exit(2);
  }
  if (!fs.existsSync('/usr/sbin/vsftpd')) {
    console.error(`${bench} needs vsftpd: apt-get install -y vsftpd`);
    process.exit(2);
  }
}

/**
 * New local users, each with the home given (created, theirs) and password
 * PASSWORD hashed with `cryptMethod` (chpasswd's -c: SHA512, YESCRYPT, ...;
 * the system's default when null); removed at exit.
 */
export function addUsers(homes, cryptMethod = null) {
  for (const [user, home] of homes) {
    fs.mkdirSync(home, { recursive: true });
    execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/bash', user]);
    // -f: a server's session process that has not died yet does not keep the user.
    atExit(() => execFileSync('userdel', ['-f', user], { stdio: 'ignore' }));
    execFileSync('chown', [`${user}:${user}`, home]);
  }
  const lines = [...homes.keys()].map((user) => `${user}:${PASSWORD}\n`).join('');
  execFileSync('chpasswd', cryptMethod === null ? [] : ['-c', cryptMethod], { input: lines });
}

/**
 * A temp dir with `home` (a new local user's, password PASSWORD hashed with
 * `cryptMethod` as addUsers does, holding big.bin of `bigMiB` MiB) and
 * `empty` (the servers' secure_chroot_dir).
 */
export function benchSetup(prefix, bigMiB, { cryptMethod = null } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  atExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const user = `ftpb${process.pid % 100000}`;
  const home = path.join(dir, 'home');
  addUsers(new Map([[user, home]]), cryptMethod);
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const fd = fs.openSync(path.join(home, 'big.bin'), 'w');
  for (let i = 0; i < bigMiB; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.mkdirSync(path.join(dir, 'empty'));
  /** Gives `home` (and what the bench put in it since) to the user. */
  const chownHome = () => execFileSync('chown', ['-R', `${user}:${user}`, home]);
  chownHome();
  return { dir, user, home, chownHome };
}

// A cgroup per server, where the kernel can give one (cgroup v1's cpuacct or
// v2): its CPU time is every process's of the server, exited ones included
// (whoever reaped them), to the nanosecond.
const CPU_GROUP_ROOTS = [
  { dir: '/sys/fs/cgroup/cpuacct', seconds: (group) => Number(fs.readFileSync(path.join(group, 'cpuacct.usage'), 'utf8')) / 1e9 },
  { dir: '/sys/fs/cgroup/unified', seconds: (group) => Number(/^usage_usec (\d+)/m.exec(fs.readFileSync(path.join(group, 'cpu.stat'), 'utf8'))[1]) / 1e6 },
  { dir: '/sys/fs/cgroup', seconds: (group) => Number(/^usage_usec (\d+)/m.exec(fs.readFileSync(path.join(group, 'cpu.stat'), 'utf8'))[1]) / 1e6 },
];
let groupCount = 0;

/** A new cgroup for a server's processes, removed at exit: { procs, seconds() }, or null where none can be made. */
function cpuGroup(name) {
  for (const root of CPU_GROUP_ROOTS) {
    const group = path.join(root.dir, `privsep-bench-${process.pid}-${++groupCount}-${name}`);
    try {
      fs.mkdirSync(group);
    } catch {
      continue;
    }
    atExit(() => removeCpuGroup(group));
    try {
      root.seconds(group);
      return { dir: group, procs: path.join(group, 'cgroup.procs'), seconds: () => root.seconds(group) };
    } catch {
      removeCpuGroup(group);
    }
  }
  return null;
}

/** The pids in cgroup `group` (none once it is gone). */
function groupPids(group) {
  try {
    return fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function removeCpuGroup(group) {
  try {
    fs.rmdirSync(group);
  } catch {}
}

function startServer(name, command, args) {
  // The server joins its cgroup before it runs: each process it starts is in it.
  const group = cpuGroup(name);
  const child = group === null
    ? spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', group.procs, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // vsftpd's session processes outlive their listener: the whole tree goes
  // (only while the server runs: an exited one's pid may be another's now).
  atExit(() => {
    if (child.exitCode === null && child.signalCode === null) killAll(descendants(child.pid));
    if (group !== null) killAll(groupPids(group.dir));
  });
  return {
    name, child, output: () => out,
    /** CPU seconds used so far by all the server's processes (its cgroup's, else its tree's as /proc shows it). */
    cpuSeconds: () => (group === null ? treeCpuSeconds(child.pid) : group.seconds()),
    cpuGroup: group?.dir ?? null,
  };
}

/** Whether something accepts connections on 127.0.0.1:`port` now. */
function listening(port) {
  try {
    execFileSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws when `port` is already taken: the bench would wait for and measure
 * whatever listens there (another run's server on a shared machine), not its own.
 */
function requireFreePort(port, name) {
  if (listening(port)) throw new Error(`${name}: port ${port} is in use (another bench run?); the bench would measure that server, not its own`);
}

/** `preferred` when it is free, else a port the kernel gives as free (another run may hold the preferred one). */
export async function freePort(preferred) {
  if (!listening(preferred)) return preferred;
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** vsftpd on 127.0.0.1:`port` for local users, with `extra` configuration lines. */
export function startVsftpd(dir, port, extra = []) {
  requireFreePort(port, 'vsftpd');
  const conf = path.join(dir, `vsftpd-${port}.conf`);
  fs.writeFileSync(conf, [
    'listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022',
    'max_clients=2000', 'max_per_ip=1000', 'xferlog_enable=NO', 'seccomp_sandbox=NO',
    `secure_chroot_dir=${path.join(dir, 'empty')}`, 'pam_service_name=vsftpd', 'pasv_enable=YES', 'delay_failed_login=1',
    ...extra,
  ].join('\n') + '\n');
  return startServer('vsftpd', '/usr/sbin/vsftpd', [conf]);
}

/** miniftp (this tree's dist/) on 127.0.0.1:`port` for local users, with `extra` configuration lines. */
export function startMiniftp(dir, port, extra = []) {
  requireFreePort(port, 'miniftp');
  const conf = path.join(dir, `miniftp-${port}.conf`);
  fs.writeFileSync(conf, [
    'listen_address=127.0.0.1', `listen_port=${port}`,
    'anonymous_enable=NO', 'local_enable=YES', 'write_enable=YES', 'local_umask=022',
    'max_clients=2000', 'max_per_ip=1000', 'xferlog_enable=NO',
    `secure_chroot_dir=${path.join(dir, 'empty')}`,
    ...extra,
  ].join('\n') + '\n');
  return startServer('miniftp', process.execPath, [path.join(root, 'dist', 'examples', 'miniftp', 'main.js'), conf]);
}

// pure-ftpd's binary, extracted once and reused by later runs (root's own
// directory: root runs what it holds). Remove it to fetch the package again.
const PURE_FTPD_CACHE = '/var/cache/privsep-bench/pure-ftpd';
const PURE_FTPD_BINARY = path.join(PURE_FTPD_CACHE, 'usr', 'sbin', 'pure-ftpd');

/**
 * pure-ftpd's binary: the cached extraction, or Debian's package downloaded
 * (`apt-get download`) and extracted (`dpkg-deb -x`) now.
 * @returns {{ binary: string } | { reason: string }} why there is none
 */
export function pureFtpdBinary() {
  if (fs.existsSync(PURE_FTPD_BINARY)) {
    const { uid, mode } = fs.lstatSync(PURE_FTPD_CACHE);
    if (uid !== 0 || (mode & 0o022) !== 0) return { reason: `${PURE_FTPD_CACHE} is not root's alone` };
    return { binary: PURE_FTPD_BINARY };
  }
  fs.mkdirSync(path.dirname(PURE_FTPD_CACHE), { recursive: true, mode: 0o755 });
  const work = fs.mkdtempSync(`${PURE_FTPD_CACHE}-`);
  try {
    // The download runs as root in a directory of root's: apt's own user could not write it.
    execFileSync('apt-get', ['-o', 'APT::Sandbox::User=root', 'download', 'pure-ftpd'], { cwd: work, stdio: 'pipe', timeout: 120_000 });
    const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) return { reason: 'apt-get download pure-ftpd gave no .deb' };
    execFileSync('dpkg-deb', ['-x', path.join(work, deb), path.join(work, 'root')], { stdio: 'pipe', timeout: 60_000 });
    fs.chmodSync(path.join(work, 'root'), 0o755);
    fs.renameSync(path.join(work, 'root'), PURE_FTPD_CACHE);
    return { binary: PURE_FTPD_BINARY };
  } catch (err) {
    const said = String(err.stderr ?? '').trim().split('\n').pop();
    return { reason: `could not get Debian's pure-ftpd: ${said || err.message}` };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * pure-ftpd (`binary`, from pureFtpdBinary) on 127.0.0.1:`port` for local
 * users (-l unix: /etc/shadow and crypt(3)), with `extra` arguments; listings
 * of up to 100,000 files (its default stops at 10,000).
 */
export function startPureFtpd(binary, dir, port, extra = []) {
  requireFreePort(port, 'pure-ftpd');
  return startServer('pure-ftpd', binary, [
    '-l', 'unix', '-S', `127.0.0.1,${port}`, '-4', '-E', '-H', '-c', '2000', '-C', '1000', '-U', '022:022',
    '-L', '100000:5', '-g', path.join(dir, `pure-ftpd-${port}.pid`), ...extra,
  ]);
}

export async function waitForPort(port, server) {
  for (let i = 0; i < 300; i++) {
    if (listening(port)) return;
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${server.name} does not listen on ${port}:\n${server.output()}`);
}

/** Stops `server` (SIGTERM, then SIGKILL to whatever of its tree is left). */
export async function stopServer(server) {
  const left = descendants(server.child.pid).slice(1);
  server.child.kill('SIGTERM');
  await new Promise((r) => (server.child.exitCode !== null ? r() : server.child.once('exit', r)));
  killAll(left);
  if (server.cpuGroup !== null) {
    killAll(groupPids(server.cpuGroup));
    // Its last processes may take a moment to go: the group is removed once empty.
    for (let i = 0; i < 50 && fs.existsSync(server.cpuGroup); i++) {
      removeCpuGroup(server.cpuGroup);
      if (fs.existsSync(server.cpuGroup)) await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function killAll(pids) {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
}

/** `/proc/PID/stat`'s fields after the command name (field 3 onwards), or null if the process is gone. */
function statFields(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** `pid` and all its descendants, parents first. */
export function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (!fields) continue;
    const ppid = Number(fields[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

/**
 * CPU seconds (user + system) used so far by process `pid` alone
 * (`withReaped`: and by its children that have exited and been waited for).
 */
export function cpuSeconds(pid, withReaped = false) {
  const f = statFields(pid);
  if (!f) return 0;
  // utime, stime, cutime, cstime are stat fields 14-17.
  const ticks = Number(f[11]) + Number(f[12]) + (withReaped ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds used by the whole tree of `pid`, exited processes included
 * once waited for (a process's exited descendants are in its reaped time).
 * Children are read before their parents: one that is reaped meanwhile is
 * counted twice rather than not at all; settleTree first makes that rare.
 */
export function treeCpuSeconds(pid) {
  return descendants(pid).reverse().reduce((sum, p) => sum + cpuSeconds(p, true), 0);
}

/**
 * Waits (at most `maxMs`) until `pid`'s tree has no zombie and has kept the
 * same processes and used no CPU time for QUIET_MS: the processes of
 * finished sessions have exited and been waited for, so that their CPU time
 * is in their parents', and work a server does in the background is done
 * before the next measure counts CPU. The window is longer than the work a
 * server puts off after a session (miniftp starts a spare worker to replace
 * a taken one once logins have paused for 250 ms), so that such work is not
 * counted in the next measure.
 */
const QUIET_MS = 400;
const SETTLE_POLL_MS = 100;
export async function settleTree(pid, maxMs = 5000) {
  let last = '';
  let lastCpu = -1;
  let quietSince = Date.now();
  for (const end = Date.now() + maxMs; Date.now() < end;) {
    const tree = descendants(pid);
    const now = tree.join(',');
    const cpu = treeCpuSeconds(pid);
    if (now !== last || cpu !== lastCpu || tree.some((p) => statFields(p)?.[0] === 'Z')) quietSince = Date.now();
    else if (Date.now() - quietSince >= QUIET_MS) return;
    last = now;
    lastCpu = cpu;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** The memory (PSS, KiB) of `pid`'s whole tree. */
export function pssKiB(pid) {
  let total = 0;
  for (const p of descendants(pid)) {
    try {
      total += Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))[1]);
    } catch {}
  }
  return total;
}

/** Runs `command` and answers its wall-clock seconds. */
export function timed(command, args) {
  const start = process.hrtime.bigint();
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  return Number(process.hrtime.bigint() - start) / 1e9;
}
