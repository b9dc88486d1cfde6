// Loads the native addon (the only module that does) and types its whole
// surface. Nothing outside src/ sees the raw binding.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** { family, address, port } for inet sockets, { family: 'unix', path, abstract } for unix ones. */
export type NativeSocketAddress =
  | { family: 'IPv4' | 'IPv6'; address: string; port: number }
  | { family: 'unix'; path: Buffer; abstract: boolean }
  | { family: number };

export interface NativePeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** One uv_poll_t watching one fd. */
export interface NativeFdWatcher {
  /** Watch for UV_READABLE | UV_WRITABLE; 0 stops. */
  start(events: number): void;
  stop(): void;
  /** Stops for good; the fd stays open for its owner to close. */
  close(): void;
  setRef(on: boolean): void;
}

/** getpwnam/getpwuid: one passwd entry. */
export interface NativePasswd {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  homedir: string;
  shell: string;
}

/** getgrnam/getgrgid: one group entry. */
export interface NativeGroup {
  name: string;
  gid: number;
  members: string[];
}

/** getspnam: one shadow entry; days count from 1970-01-01, -1 is an empty field. */
export interface NativeShadow {
  name: string;
  hash: string;
  lastChange: number;
  minDays: number;
  maxDays: number;
  warnDays: number;
  inactiveDays: number;
  expireDay: number;
}

/** What a PAM step that failed returned: its PAM_* status, the step, pam_strerror's text. */
export interface NativePamFailure {
  status: number;
  step: string;
  message: string;
}

/** pamLogin: an open session (status 0; `user` is PAM_USER after the login) or the step that refused. */
export type NativePamLogin = { status: 0; handle: object; user: string } | NativePamFailure;

/** capget: the calling thread's sets, as bit masks. */
export interface NativeCapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** One per-thread step for everyThread. */
export type NativeThreadStep =
  | { op: 'setgroups'; groups: readonly number[] }
  | { op: 'setresgid' | 'setresuid'; id: number }
  | { op: 'keepCaps'; on: boolean }
  | { op: 'boundingDrop' | 'ambientRaise' | 'ambientLower'; mask: bigint }
  | { op: 'capset'; effective: bigint; permitted: bigint; inheritable: bigint }
  | { op: 'ambientClearAll' }
  | { op: 'noNewPrivs' };

/** A thread on which a step failed. */
export interface NativeThreadFailure {
  tid: number;
  step: number;
  errno: number;
  syscall: string;
  /** The thread that called everyThread (then no other thread was touched). */
  calling: boolean;
}

/** What the child of spawn does between fork and execve. */
export interface NativeSpawnSpec {
  candidates: string[];
  argv: string[];
  env: string[];
  /** target, source pairs */
  fds: number[];
  cwd: string | null;
  chroot: string | null;
  setsid: boolean;
  newNetworkNamespace: boolean;
  noNewPrivs: boolean;
  /** -1: unchanged */
  uid: number;
  gid: number;
  groups: number[] | null;
  capabilities: bigint | null;
  boundingDrop: bigint;
}

export interface NativeExitStatus {
  code: number | null;
  signal: number | null;
}

export interface NativeBinding {
  // socket.cc
  socketpair(type: number): [number, number];
  unixSocket(type: number): number;
  bindUnix(fd: number, path: Buffer, abstract: boolean): void;
  listen(fd: number, backlog: number): void;
  connectUnix(fd: number, path: Buffer, abstract: boolean): boolean;
  accept(fd: number): number;
  getPeerCred(fd: number): NativePeerCred;
  getSocketType(fd: number): number;
  getSocketDomain(fd: number): number;
  getSocketError(fd: number): number;
  /** 1 when the socket is listening (SO_ACCEPTCONN). */
  getSocketAcceptConn(fd: number): number;
  getsockname(fd: number): NativeSocketAddress;
  getpeername(fd: number): NativeSocketAddress;
  setNonBlocking(fd: number, on: boolean): void;
  setCloexec(fd: number, on: boolean): void;
  dup(fd: number): number;
  close(fd: number): void;
  readonly SOCK_STREAM: number;
  readonly SOCK_SEQPACKET: number;
  readonly SOCK_DGRAM: number;
  // fdpass.cc
  /** `cred` is [pid, uid, gid] to state; `to` a unix address (path bytes) for a datagram socket. */
  sendmsg(fd: number, buffers: Buffer[], fds: Int32Array | number[] | null, cred?: Int32Array | null, to?: Buffer | null, abstract?: boolean): number;
  /** With `cred` ([present, pid, uid, gid] out), exactly one recvmsg that accepts SCM_CREDENTIALS. */
  recvmsg(fd: number, buffer: Buffer, offset: number, minSpace: number, fdsOut: Int32Array, info: Int32Array, cred?: Int32Array): number;
  /** One datagram; info gets [fdCount, credPresent, pid, uid, gid]; null when none is waiting. */
  recvdatagram(fd: number, buffer: Buffer, fdsOut: Int32Array, info: Int32Array): { bytes: number; from: NativeSocketAddress | null } | null;
  readonly SCM_MAX_FD: number;
  // poll.cc
  FdWatcher: new (fd: number, callback: (err: Error | null, events: number) => void) => NativeFdWatcher;
  readonly UV_READABLE: number;
  readonly UV_WRITABLE: number;
  // inet.cc
  inetListen(address: string, port: number, backlog: number, ipv6Only: boolean): number;
  inetConnect(address: string, port: number, bindAddress: string | null, bindPort: number): number;
  acceptBatch(fd: number, fdsOut: Int32Array, peersOut: Buffer): number;
  readonly PEER_RECORD_BYTES: number;
  // sendfile.cc
  sendfile(outFd: number, inFd: number, offset: number, count: number): number;
  // splice.cc
  pipe2(capacity: number): [number, number];
  splice(fdIn: number, offIn: number, fdOut: number, offOut: number, length: number): number;
  // cred.cc
  getresuid(): [number, number, number];
  getresgid(): [number, number, number];
  getgroups(): number[];
  setresuid(ruid: number, euid: number, suid: number): void;
  setresgid(rgid: number, egid: number, sgid: number): void;
  setgroups(gids: number[]): void;
  chroot(path: string): void;
  // caps.cc
  capget(): NativeCapSets;
  capLastCap(): number;
  boundingSet(): bigint;
  ambientSet(): bigint;
  getKeepCaps(): boolean;
  getNoNewPrivs(): boolean;
  getDumpable(): boolean;
  setDumpable(on: boolean): void;
  // threads.cc
  everyThread(taskDirFd: number, steps: NativeThreadStep[]): NativeThreadFailure[];
  openTaskDir(): number;
  readThreadStatus(taskDirFd: number): Array<{ tid: number; status: string }>;
  // rlimit.cc
  getrlimit(name: string): [number, number];
  setrlimit(name: string, soft: number, hard: number): void;
  // users.cc
  getpwnam(name: string): Promise<NativePasswd | null>;
  getpwnamGroups(name: string): Promise<(NativePasswd & { groups: number[] }) | null>;
  getpwuid(uid: number): Promise<NativePasswd | null>;
  getgrnam(name: string): Promise<NativeGroup | null>;
  getgrgid(gid: number): Promise<NativeGroup | null>;
  getgrouplist(user: string, gid: number): Promise<number[]>;
  // crypt.cc
  getspnam(user: string): Promise<NativeShadow | null>;
  crypt(phrase: string, setting: string): Promise<string | null>;
  // pam.cc (libpam loaded at run time)
  pamLoad(): void;
  pamLogin(service: string, user: string, password: string, rhost: string, tty: string): Promise<NativePamLogin>;
  pamClose(handle: object): Promise<NativePamFailure | null>;
  // spawn.cc
  spawn(spec: NativeSpawnSpec): { pid: number; pidfd: number };
  waitPidfd(pidfd: number): NativeExitStatus | null;
  pidfdSendSignal(pidfd: number, signal: number): boolean;
  // io.cc: -1 means EAGAIN
  read(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  peek(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  write(fd: number, data: Uint8Array | readonly Uint8Array[]): number;
  // socket.cc (socket options)
  setOobInline(fd: number, on: boolean): void;
  setTcpNoDelay(fd: number, on: boolean): void;
  setPassCred(fd: number, on: boolean): void;
  // stat.cc
  lstatBatch(dir: string, names: string, count: number, out: Float64Array): Promise<void>;
  readonly LSTAT_FIELDS: number;
  readdirNames(dir: string, limit: number): Promise<string | null>;
  readdirStat(dir: string, limit: number): Promise<{ names: string; records: Float64Array } | null>;
  // memory.cc
  releaseMemory(): void;
  // sched.cc
  setIdleScheduling(pid: number, idle: boolean): void;
}

const required: { [K in keyof NativeBinding]: NativeBinding[K] extends number ? 'number' : 'function' } = {
  socketpair: 'function', unixSocket: 'function', bindUnix: 'function', listen: 'function',
  connectUnix: 'function', accept: 'function', getPeerCred: 'function', getSocketType: 'function', getSocketAcceptConn: 'function',
  getSocketDomain: 'function', getSocketError: 'function', getsockname: 'function', getpeername: 'function',
  setNonBlocking: 'function', setCloexec: 'function', dup: 'function', close: 'function',
  SOCK_STREAM: 'number', SOCK_SEQPACKET: 'number', SOCK_DGRAM: 'number',
  sendmsg: 'function', recvmsg: 'function', recvdatagram: 'function', SCM_MAX_FD: 'number',
  FdWatcher: 'function', UV_READABLE: 'number', UV_WRITABLE: 'number',
  inetListen: 'function', inetConnect: 'function', acceptBatch: 'function', PEER_RECORD_BYTES: 'number',
  sendfile: 'function', pipe2: 'function', splice: 'function',
  getresuid: 'function', getresgid: 'function', getgroups: 'function', setresuid: 'function',
  setresgid: 'function', setgroups: 'function', chroot: 'function',
  capget: 'function', capLastCap: 'function', boundingSet: 'function', ambientSet: 'function',
  getKeepCaps: 'function', getNoNewPrivs: 'function', getDumpable: 'function', setDumpable: 'function',
  everyThread: 'function', openTaskDir: 'function', readThreadStatus: 'function',
  getrlimit: 'function', setrlimit: 'function',
  getpwnam: 'function', getpwnamGroups: 'function', getpwuid: 'function', getgrnam: 'function', getgrgid: 'function', getgrouplist: 'function',
  getspnam: 'function', crypt: 'function',
  pamLoad: 'function', pamLogin: 'function', pamClose: 'function',
  spawn: 'function', waitPidfd: 'function', pidfdSendSignal: 'function',
  read: 'function',
  peek: 'function', write: 'function',
  setOobInline: 'function',
  setTcpNoDelay: 'function',
  setPassCred: 'function',
  lstatBatch: 'function', LSTAT_FIELDS: 'number', readdirNames: 'function', readdirStat: 'function',
  releaseMemory: 'function', setIdleScheduling: 'function',
};

function load(): NativeBinding {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/native.ts runs from the checkout; dist/src/native.js from the build.
  const roots = [path.resolve(here, '..'), path.resolve(here, '..', '..')];
  const candidates = roots.flatMap((root) => [
    path.join(root, 'build', 'Release', 'privsep.node'),
    path.join(root, 'build', 'Debug', 'privsep.node'),
  ]);
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const file of candidates) {
    let binding: Record<string, unknown>;
    try {
      binding = require(file) as Record<string, unknown>;
    } catch (err) {
      failures.push(`  ${file}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const missing = Object.entries(required)
      .filter(([name, kind]) => typeof binding[name] !== kind)
      .map(([name]) => name);
    if (missing.length > 0) {
      throw new Error(`privsep: the native addon at ${file} lacks ${missing.join(', ')}; rebuild it with "npm run build"`);
    }
    return binding as unknown as NativeBinding;
  }
  throw new Error(`privsep: cannot load the native addon; run "npm install" (or "npm run build"). Tried:\n${failures.join('\n')}`);
}

export const native: NativeBinding = load();
