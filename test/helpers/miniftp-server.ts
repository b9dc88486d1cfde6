// A real miniftp (master, helper, workers) for integration tests: a
// temporary configuration, root directory, log and users; stopped and
// cleaned up afterwards.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isAlive, waitFor } from './process.js';

const root = path.resolve(import.meta.dirname, '..', '..');
export const miniftpMain = path.join(root, 'dist', 'examples', 'miniftp', 'main.js');

export interface RunningMiniftp {
  port: number;
  pid: number;
  dir: string;
  logFile: string;
  output: () => string;
  child: ChildProcess;
  /** The account anonymous sessions run as, when the test gave none and this made one. */
  anonymous: TestUser | null;
  /**
   * pids of the master's children, by the script they run; `spares` are the
   * workers still waiting as root for an identity (spare_workers), which
   * `workers` leaves out.
   */
  processes(): { helper: number[]; gate: number[]; workers: number[]; spares: number[] };
  stop(): Promise<void>;
}

/**
 * Starts miniftp with `settings` (key -> value) on a free port of 127.0.0.1.
 * With anonymous_enable=YES and no ftp_username, an account of its own is made
 * for anonymous sessions (no test relies on a distribution's `ftp` account),
 * and removed by stop(). `options.main` is the miniftp to run (default: this
 * checkout's); `options.nodeFlags` go to the master's node (--expose-gc: its
 * children get it too).
 */
/**
 * Starts miniftp with the test's settings (over a few test defaults), or,
 * with `configFile`, with that file as it is and the settings as -o options.
 */
export async function startMiniftp(settings: Record<string, string | number> = {}, options: {
  nodeFlags?: string[];
  main?: string;
  configFile?: string;
  /** A program (and its arguments) that execs miniftp's command line, e.g. systemd-socket-activate: the pid stays miniftp's. */
  launcher?: string[];
} = {}): Promise<RunningMiniftp> {
  const anonymous = settings.anonymous_enable === 'YES' && settings.ftp_username === undefined
    ? createUser('mfanon', crypto.randomBytes(12).toString('hex')) : null;
  if (anonymous) settings = { ...settings, ftp_username: anonymous.name };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-it-'));
  fs.chmodSync(dir, 0o755);
  const logFile = options.configFile ? String(settings.vsftpd_log_file ?? '/var/log/vsftpd.log') : path.join(dir, 'miniftp.log');
  const empty = path.join(dir, 'empty');
  const lines = Object.entries({
    listen_address: '127.0.0.1',
    listen_port: 0,
    secure_chroot_dir: empty,
    xferlog_enable: 'YES',
    vsftpd_log_file: logFile,
    delay_failed_login: 0,
    ...settings,
  }).map(([k, v]) => `${k}=${v}`);
  let args: string[];
  if (options.configFile) {
    args = [options.configFile, ...Object.entries(settings).map(([k, v]) => `-o${k}=${v}`)];
  } else {
    const configFile = path.join(dir, 'miniftp.conf');
    fs.writeFileSync(configFile, `# test configuration\n${lines.join('\n')}\n`);
    args = [configFile];
  }
  const command = [process.execPath, ...(options.nodeFlags ?? []), options.main ?? miniftpMain, ...args];
  if (options.launcher) command.unshift(...options.launcher);
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitFor(() => /listening on/.test(out) || child.exitCode !== null, 30_000, 'miniftp to listen').catch(() => {});
  const match = /listening on [^ ]+:(\d+)/.exec(out);
  if (!match) {
    // Not started in time: nothing of it is left running either.
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
    anonymous?.remove();
    throw new Error(`miniftp did not start:\n${out}`);
  }
  const children = (): Array<{ pid: number; cmd: string }> => {
    const found: Array<{ pid: number; cmd: string }> = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === child.pid) found.push({ pid: Number(entry), cmd: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8') });
      } catch {
        // gone meanwhile
      }
    }
    return found;
  };
  return {
    port: Number(match[1]),
    pid: child.pid!,
    dir,
    logFile,
    output: () => out,
    child,
    anonymous,
    processes() {
      const list = children();
      // A worker runs its modules' worker-main.js, or the bundle's loader.
      const workers = list.filter((p) => /worker-main|miniftp-worker-loader/.test(p.cmd)).map((p) => p.pid);
      const spares = workers.filter(isSpare);
      return {
        helper: list.filter((p) => p.cmd.includes('nobody-helper')).map((p) => p.pid),
        gate: list.filter((p) => p.cmd.includes('tls-gate')).map((p) => p.pid),
        workers: workers.filter((pid) => !spares.includes(pid)),
        spares,
      };
    },
    async stop() {
      // The workers outlive a killed master for a moment: wait for the ones
      // that were there, not for the master's children (they get new parents).
      const pids = children().map((p) => p.pid);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await waitFor(() => !pids.some(isAlive), 10_000, 'miniftp processes to exit').catch(() => {
        for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
      });
      await waitFor(() => !pids.some(isAlive), 5_000, 'miniftp processes to be killed').catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
      anonymous?.remove();
    },
  };
}

/**
 * Runs miniftp with `config` as its file (written in `dir`) until it exits,
 * as a start that is refused does: its exit status and standard error, in
 * which the file's path reads CONF.
 */
export async function startRefused(dir: string, config: string, env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const file = path.join(dir, 'miniftp.conf');
  fs.writeFileSync(file, config);
  const result = await promisify(execFile)(process.execPath, [miniftpMain, file], { timeout: 30_000, env: { ...process.env, ...env } }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
  return { code: result.code, stderr: result.stderr.replaceAll(`${file}:`, 'CONF:') };
}

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  remove(): void;
}

/**
 * A temporary system user with a password (useradd + chpasswd), removed by
 * remove(). Its shell is /bin/sh, listed in /etc/shells as check_shell wants.
 */
export function createUser(prefix: string, password: string): TestUser {
  const name = `${prefix}${process.pid % 100000}${Math.floor(Math.random() * 1000)}`.slice(0, 30);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `home-${name}-`));
  execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/sh', name]);
  execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  fs.chownSync(home, uid, gid);
  fs.chmodSync(home, 0o755);
  return {
    name, uid, gid, home,
    remove() {
      try {
        execFileSync('userdel', [name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

// A worker that runs as root is a spare that has no identity yet (every other one drops at start).
function isSpare(pid: number): boolean {
  try {
    return /^Uid:\t0\t/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The fields of /proc/PID/status that say who a process is. */
export function processIdentity(pid: number): Record<string, string> {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const fields: Record<string, string> = {};
  for (const line of status.split('\n')) {
    const [key, value] = line.split(':\t');
    if (key && value !== undefined && /^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)$/.test(key)) fields[key] = value.trim();
  }
  fields.root = fs.readlinkSync(`/proc/${pid}/root`);
  fields.net = fs.readlinkSync(`/proc/${pid}/ns/net`);
  return fields;
}
