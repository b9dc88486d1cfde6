// spawnWithCredentials: starts a program with the credentials decided now
// (uid, gid, groups, capabilities as ambient, no_new_privs, chroot, working
// directory, environment) and with chosen fds at chosen numbers. The child
// process changes nothing itself: it is born with them. Privileged side.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native, type NativeFdWatcher } from '../native.js';
import { checkInteger, invalidArgType, invalidArgValue } from '../errors.js';
import { capabilityMask, type CapabilityName } from './capabilities.js';
import { checkGroups, checkOptionNames, optionalBoolean, optionalPath } from './options.js';
import { checkId } from './users.js';

/** An fd to give the child: a number, or an object that owns one (FdHandle, FileHandle). */
export type ChildFd = number | { readonly fd: number } | 'inherit' | 'ignore';

export interface SpawnWithCredentialsOptions {
  uid?: number;
  gid?: number;
  /** Supplementary groups; default: none when uid or gid is given, else unchanged. */
  groups?: readonly number[];
  /**
   * The capabilities the program runs with (permitted, effective,
   * inheritable and ambient; the bounding set shrinks to them). Default:
   * not touched, so a program run as a non-root uid gets none.
   */
  capabilities?: readonly CapabilityName[];
  /** Set no_new_privs, so that setuid/setgid bits and file capabilities give nothing. Default true. */
  noNewPrivs?: boolean;
  /** chroot before anything else that uses a path (cwd and the program are then inside it). */
  chroot?: string;
  cwd?: string;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /**
   * fds of the child by number, for example `{ 3: socket }`. 0, 1 and 2
   * default to 'inherit'; every other fd of this process is closed in the child.
   */
  fds?: Record<number, ChildFd>;
  /** argv[0] (default: `file`). */
  argv0?: string;
  /** Start a new session (setsid). Default false. */
  setsid?: boolean;
  /**
   * Start in a new, empty network namespace (only a loopback interface, down):
   * the program cannot open any network connection; sockets passed to it
   * still work. Needs CAP_SYS_ADMIN. Default false.
   */
  newNetworkNamespace?: boolean;
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

const OPTION_NAMES = new Set(['uid', 'gid', 'groups', 'capabilities', 'noNewPrivs', 'chroot', 'cwd', 'env', 'fds', 'argv0', 'setsid', 'newNetworkNamespace']);
const MAX_CHILD_FD = 4095;
const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** A child started by spawnWithCredentials, watched through a pidfd. */
export class CredentialedProcess {
  /** The child's pid. */
  readonly pid: number;
  /** Settles once the child has ended (and was reaped). */
  readonly exited: Promise<ExitStatus>;
  #pidfd: number;
  #watcher: NativeFdWatcher | null;
  #status: ExitStatus | null = null;

  /** @internal use spawnWithCredentials() */
  constructor(pid: number, pidfd: number) {
    this.pid = pid;
    this.#pidfd = pidfd;
    let resolve!: (status: ExitStatus) => void;
    let reject!: (err: Error) => void;
    this.exited = new Promise<ExitStatus>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#watcher = new native.FdWatcher(pidfd, (err) => {
      let status: ExitStatus | null;
      try {
        if (err) throw err;
        const raw = native.waitPidfd(this.#pidfd);
        if (raw === null) return;
        status = { code: raw.code, signal: raw.signal === null ? null : (signalNames.get(raw.signal) ?? null) };
      } catch (error) {
        this.#release();
        reject(error as Error);
        return;
      }
      this.#status = status;
      this.#release();
      resolve(status);
    });
    this.#watcher.start(native.UV_READABLE);
  }

  /** How the child ended, once it has. */
  get exitStatus(): ExitStatus | null {
    return this.#status;
  }

  /**
   * Sends a signal (default SIGTERM) through the pidfd, which cannot hit a
   * process that reused the pid.
   * @returns false when the child has already ended
   * @throws ERR_UNKNOWN_SIGNAL; EPERM
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = typeof signal === 'number' ? signal : os.constants.signals[signal];
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
      throw Object.assign(new TypeError(`Unknown signal: ${String(signal)}`), { code: 'ERR_UNKNOWN_SIGNAL' });
    }
    if (this.#pidfd < 0) return false;
    return native.pidfdSendSignal(this.#pidfd, number);
  }

  /** Lets the event loop exit while the child runs. */
  unref(): this {
    this.#watcher?.setRef(false);
    return this;
  }

  ref(): this {
    this.#watcher?.setRef(true);
    return this;
  }

  #release(): void {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#pidfd >= 0) native.close(this.#pidfd);
    this.#pidfd = -1;
  }
}

/**
 * Starts `file` with `args`, running from its first instruction with the
 * credentials in `options`. In the child, between fork and execve and in
 * this order: the fds are put at their numbers (all others closed), chroot,
 * keep-caps and the bounding set, setgroups, setresgid, setresuid, the
 * capabilities (ambient), no_new_privs, chdir. `file` without a slash is
 * looked up in PATH (that of `options.env`, else this process's), as
 * execvp does. Blocks only until the child has called execve, like
 * child_process.spawn.
 * @throws a system error of the step that failed in the child, with `syscall`
 *   ('setgroups', 'setresuid', 'capset', 'chroot', 'chdir', 'execve', ...) and
 *   `path`: EPERM for an unprivileged caller, ENOENT/EACCES for the program;
 *   ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad options
 */
export function spawnWithCredentials(file: string, args: readonly string[] = [], options: SpawnWithCredentialsOptions = {}): CredentialedProcess {
  if (typeof file !== 'string' || file.length === 0 || file.includes('\0')) {
    throw invalidArgValue('file', file, 'must be a non-empty string without NUL');
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string' && !a.includes('\0'))) {
    throw invalidArgType('args', 'an array of strings without NUL', args);
  }
  checkOptionNames(options, OPTION_NAMES, 'spawnWithCredentials');
  const uid = options.uid === undefined ? -1 : checkId('options.uid', options.uid);
  const gid = options.gid === undefined ? -1 : checkId('options.gid', options.gid);
  let groups: number[] | null = null;
  if (options.groups !== undefined) {
    groups = checkGroups('options.groups', options.groups);
  } else if (uid !== -1 || gid !== -1) {
    // A new identity never inherits root's supplementary groups by default.
    groups = [];
  }
  const capabilities = options.capabilities === undefined ? null : capabilityMask(options.capabilities, 'options.capabilities');
  const env = environment(options.env ?? process.env);
  const opened: number[] = [];
  try {
    const fds = childFds(options.fds ?? {}, opened);
    const { pid, pidfd } = native.spawn({
      candidates: candidates(file, options.env?.PATH ?? process.env.PATH),
      argv: [optionalString('options.argv0', options.argv0) ?? file, ...args],
      env,
      fds,
      cwd: optionalPath('options.cwd', options.cwd, false),
      chroot: optionalPath('options.chroot', options.chroot, true),
      setsid: optionalBoolean('options.setsid', options.setsid) ?? false,
      newNetworkNamespace: optionalBoolean('options.newNetworkNamespace', options.newNetworkNamespace) ?? false,
      noNewPrivs: optionalBoolean('options.noNewPrivs', options.noNewPrivs) ?? true,
      uid,
      gid,
      groups,
      capabilities,
      // Every capability the kernel knows, named here or not, leaves the bounding set.
      boundingDrop: capabilities === null ? 0n : native.boundingSet() & ~capabilities,
    });
    return new CredentialedProcess(pid, pidfd);
  } catch (err) {
    if (typeof err === 'object' && err !== null && (err as { syscall?: string }).syscall === 'execve') {
      (err as { path?: string }).path = file;
    }
    throw err;
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
}

// The paths execve tries, as execvp(3) would: `file` itself when it has a
// slash, else each PATH entry in turn (an empty entry is the working directory).
function candidates(file: string, searchPath: string | undefined): string[] {
  if (file.includes('/')) return [file];
  const dirs = (searchPath ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  return dirs.map((dir) => path.join(dir === '' ? '.' : dir, file));
}

function environment(env: Record<string, string | undefined>): string[] {
  if (typeof env !== 'object' || env === null) throw invalidArgType('options.env', 'an object', env);
  const list: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.length === 0 || key.includes('=') || key.includes('\0') || String(value).includes('\0')) {
      throw invalidArgValue(`options.env.${key}`, key, 'must be a name without "=" or NUL and a value without NUL');
    }
    list.push(`${key}=${String(value)}`);
  }
  return list;
}

// [target, source, ...] pairs; /dev/null fds it opens go to `opened`.
function childFds(map: Record<number, ChildFd>, opened: number[]): number[] {
  if (typeof map !== 'object' || map === null) throw invalidArgType('options.fds', 'an object', map);
  const wanted = new Map<number, ChildFd>([[0, 'inherit'], [1, 'inherit'], [2, 'inherit']]);
  for (const [key, value] of Object.entries(map)) {
    const target = Number(key);
    if (!Number.isInteger(target) || target < 0 || target > MAX_CHILD_FD) {
      throw invalidArgValue('options.fds', key, `must have fd numbers from 0 to ${MAX_CHILD_FD} as keys`);
    }
    wanted.set(target, value);
  }
  const pairs: number[] = [];
  for (const [target, value] of wanted) {
    let source: number;
    if (value === 'inherit' && isOpen(target)) {
      source = target;
    } else if (value === 'inherit' || value === 'ignore') {
      source = fs.openSync('/dev/null', 'r+');
      opened.push(source);
    } else if (typeof value === 'number') {
      source = checkInteger(`options.fds[${target}]`, value, 0, 0x7fffffff);
    } else if (typeof value === 'object' && value !== null && typeof value.fd === 'number') {
      source = checkInteger(`options.fds[${target}].fd`, value.fd, 0, 0x7fffffff);
    } else {
      throw invalidArgType(`options.fds[${target}]`, "an fd number, an object with an fd, 'inherit' or 'ignore'", value);
    }
    pairs.push(target, source);
  }
  return pairs;
}

function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function optionalString(name: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.includes('\0')) throw invalidArgType(name, 'a string without NUL', value);
  return value;
}

