// FTP servers for the client and ftpfs tests, on 127.0.0.1: our own vsftpd
// instance (Debian's package) in standalone mode with a temporary config, a
// temporary local user and a temporary root. Each kind implements one
// interface, so the same suites can run against other servers (miniftp).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { addUser, admin, setPassword, uniqueName } from './users.js';
import { waitFor } from './process.js';
import { missingTool, toolPath } from './tools.js';

/** A running FTP server with one user whose root is a local directory. */
export interface FtpTestServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The local directory the user sees as '/'. Files put here are served. */
  readonly root: string;
  /** Makes `relative` (inside root) belong to the FTP user, as if uploaded. */
  own(relative: string): void;
  /** The arguments of the commands the server received with this verb (from its log). */
  commands(verb: string): string[];
  /** Kills the server and every session process at once (a crash, not a shutdown). */
  kill(): Promise<void>;
  /** Kills every session's processes at once; the server goes on accepting logins. */
  killSessions(): void;
  /** Stops the server and removes its files and user. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Seconds of idleness after which the server ends a session (421). */
  idleSessionTimeout?: number;
  /** Bytes per second one session may transfer (local_max_rate). */
  maxRate?: number;
  /** vsftpd as configured out of the box: plain LIST hides dot files (no force_dot_files); `LIST -a` shows them. */
  hideDotFiles?: boolean;
  /**
   * FTPS with this certificate and key (explicit AUTH TLS; `implicit`: TLS
   * from the first byte), logins and data over TLS required, and data
   * connections required to resume the control connection's session;
   * vsftpd takes an upload that ends without TLS close_notify for a
   * truncated one (strict_ssl_read_eof).
   */
  tls?: {
    cert: string;
    key: string;
    implicit?: boolean;
    /** false: TLS 1.2 only (miniftp's ssl_tlsv1_3=NO; vsftpd 3.0.3 has no such setting). Default true. */
    tls13?: boolean;
  };
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** How to start one kind of server; `available` says why not, when it cannot run here. */
export interface ServerKind {
  name: string;
  unavailable(): string | null;
  start(options?: ServerOptions): Promise<FtpTestServer>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something on host:port sends a line starting with 220 (over TLS: `implicit`). */
async function greets(port: number, ms: number, implicit = false): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = implicit ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : net.connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.once('data', (d) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(d.toString().startsWith('220'));
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Pids of all descendants of `pid` (vsftpd's sessions start their own sessions, so no process group holds them). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && found.length < 10_000) {
    for (const child of children.get(stack.pop()!) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  killPids([child.pid, ...descendants(child.pid)]);
  return exited;
}

const vsftpdTls = (tls: NonNullable<ServerOptions['tls']>) => `
ssl_enable=YES
rsa_cert_file=${tls.cert}
rsa_private_key_file=${tls.key}
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
strict_ssl_read_eof=YES
implicit_ssl=${tls.implicit ? 'YES' : 'NO'}
`;

const vsftpdConfig = (o: { port: number; emptyDir: string; log: string; idle?: number; maxRate?: number; hideDotFiles?: boolean; tls?: ServerOptions['tls'] }) => `
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=${o.port}
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
pam_service_name=vsftpd
secure_chroot_dir=${o.emptyDir}
seccomp_sandbox=NO
force_dot_files=${o.hideDotFiles ? 'NO' : 'YES'}
ascii_download_enable=YES
ascii_upload_enable=YES
xferlog_enable=YES
log_ftp_protocol=YES
vsftpd_log_file=${o.log}
${o.idle === undefined ? '' : `idle_session_timeout=${o.idle}`}
${o.maxRate === undefined ? '' : `local_max_rate=${o.maxRate}`}
${o.tls === undefined ? '' : vsftpdTls(o.tls)}
`;

/** vsftpd from Debian's package: our own instance on a free port, as root. */
export const vsftpd: ServerKind = {
  name: 'vsftpd',
  unavailable() {
    if (process.getuid?.() !== 0) return 'needs root (vsftpd, useradd)';
    const missing = missingTool('vsftpd');
    if (missing) return missing;
    if (!fs.existsSync('/etc/pam.d/vsftpd')) return 'needs /etc/pam.d/vsftpd (from the vsftpd package)';
    return null;
  },
  async start(options = {}) {
    if (options.tls?.tls13 === false) throw new Error('vsftpd 3.0.3 cannot turn TLS 1.3 off');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-vsftpd-'));
    fs.chmodSync(base, 0o755);
    const root = path.join(base, 'root');
    const emptyDir = path.join(base, 'empty');
    const log = path.join(base, 'vsftpd.log');
    fs.mkdirSync(root, { mode: 0o755 });
    fs.mkdirSync(emptyDir, { mode: 0o755 });
    const user = uniqueName('ftpt');
    const password = `pw-${process.pid}-${Date.now()}`;
    const uid = addUser(user, { shell: '/bin/sh', home: root });
    setPassword(user, password, 'SHA512');
    fs.chownSync(root, uid, 65534);
    let child: ChildProcess | null = null;
    let port = 0;
    let output = '';
    // The port may be taken between freePort() and vsftpd's bind: try a few.
    for (let attempt = 0; attempt < 5 && child === null; attempt++) {
      port = await freePort();
      const conf = path.join(base, `vsftpd-${attempt}.conf`);
      fs.writeFileSync(conf, vsftpdConfig({ port, emptyDir, log, idle: options.idleSessionTimeout, maxRate: options.maxRate, hideDotFiles: options.hideDotFiles, tls: options.tls }));
      const started = spawn(toolPath('vsftpd')!, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      started.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      started.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      if (await greets(port, 5000, options.tls?.implicit)) child = started;
      else await killTree(started);
    }
    if (!child) {
      fs.rmSync(base, { recursive: true, force: true });
      admin('userdel', user);
      throw new Error(`vsftpd did not start: ${output}`);
    }
    const running = child;
    return {
      name: 'vsftpd', host: '127.0.0.1', port, user, password, root,
      own(relative) {
        const target = path.join(root, relative);
        spawnSync('chown', ['-R', `${uid}:65534`, target]);
      },
      commands(verb) {
        if (!fs.existsSync(log)) return [];
        const pattern = new RegExp(`FTP command: Client "[^"]*", "${verb}(?: (.*))?"$`, 'i');
        return fs.readFileSync(log, 'utf8').split('\n').flatMap((line) => {
          const m = pattern.exec(line);
          return m ? [m[1] ?? ''] : [];
        });
      },
      kill: () => killTree(running),
      killSessions: () => killPids(descendants(running.pid!)),
      async stop() {
        await killTree(running);
        fs.rmSync(base, { recursive: true, force: true });
        admin('userdel', user);
      },
    };
  },
};

/** miniftp, the real multi-process server, with a temporary local user chrooted to its root. */
export const miniftp: ServerKind = {
  name: 'miniftp',
  unavailable() {
    if (process.getuid?.() !== 0) return 'needs root (miniftp starts as root; useradd)';
    return null;
  },
  async start(options = {}) {
    const { startMiniftp } = await import('./miniftp-server.js');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-miniftp-'));
    fs.chmodSync(base, 0o755);
    const root = path.join(base, 'root');
    fs.mkdirSync(root, { mode: 0o755 });
    const user = uniqueName('ftpm');
    const password = `pw-${process.pid}-${Date.now()}`;
    const uid = addUser(user, { shell: '/bin/sh', home: root });
    setPassword(user, password, 'SHA512');
    fs.chownSync(root, uid, 65534);
    let server;
    try {
      server = await startMiniftp({
        chroot_local_user: 'YES', write_enable: 'YES', local_umask: '022', log_json: 'YES',
        ...(options.idleSessionTimeout === undefined ? {} : { idle_session_timeout: options.idleSessionTimeout }),
        ...(options.maxRate === undefined ? {} : { local_max_rate: options.maxRate }),
        ...(options.tls === undefined ? {} : {
          ssl_enable: 'YES', rsa_cert_file: options.tls.cert, rsa_private_key_file: options.tls.key,
          implicit_ssl: options.tls.implicit ? 'YES' : 'NO', ssl_tlsv1_3: options.tls.tls13 === false ? 'NO' : 'YES',
        }),
      });
    } catch (err) {
      fs.rmSync(base, { recursive: true, force: true });
      admin('userdel', user);
      throw err;
    }
    const running = server;
    const verbs: Record<string, string> = { RETR: 'download', STOR: 'upload' };
    return {
      name: 'miniftp', host: '127.0.0.1', port: running.port, user, password, root,
      own(relative) {
        spawnSync('chown', ['-R', `${uid}:65534`, path.join(root, relative)]);
      },
      // The transfer log holds RETR (downloads) and STOR (uploads), each with its path.
      commands(verb) {
        const direction = verbs[verb.toUpperCase()];
        if (!direction) throw new Error(`the miniftp log does not record ${verb}`);
        if (!fs.existsSync(running.logFile)) return [];
        return fs.readFileSync(running.logFile, 'utf8').split('\n').flatMap((line) => {
          if (!line.startsWith('{')) return [];
          const event = JSON.parse(line) as { type?: string; direction?: string; path?: string };
          return event.type === 'transfer' && event.direction === direction && event.path ? [event.path] : [];
        });
      },
      kill: () => killTree(running.child),
      killSessions: () => killPids(running.processes().workers.flatMap((pid) => [pid, ...descendants(pid)])),
      async stop() {
        await running.stop();
        fs.rmSync(base, { recursive: true, force: true });
        admin('userdel', user);
      },
    };
  },
};

/** The servers the FTP suites run against. */
export const serverKinds: ServerKind[] = [vsftpd, miniftp];

/** Waits (bounded) until `pid` is gone. */
export async function waitGone(pid: number, ms = 10_000): Promise<void> {
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, ms, `process ${pid} to end`);
}
