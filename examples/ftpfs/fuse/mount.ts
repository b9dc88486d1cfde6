// mount(): mounts a FUSE file system through fusermount3, which opens
// /dev/fuse, mounts it and passes the fd back over a socketpair with
// SCM_RIGHTS (as it does for any unprivileged mounter; as root it works the
// same); then serves it with a FuseSession until unmounted.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { errnoError, invalidArgValue, receiveRaw, setNonBlocking, socketPair, type FdHandle } from 'privsep';
import type { FuseOperations } from './operations.js';
import { FuseSession, resolveSessionOptions, type SessionOptions } from './session.js';

export interface MountOptions extends SessionOptions {
  /** The "device" column of /proc/mounts and df. Default 'privsep-fuse'. */
  fsName?: string;
  /** Shown as the type fuse.<subtype>. */
  subtype?: string;
  /** Let users other than the mounter in (needs user_allow_other in /etc/fuse.conf unless root). */
  allowOther?: boolean;
  readOnly?: boolean;
  /** The kernel checks permissions from the mode bits (default_permissions). Default true. */
  defaultPermissions?: boolean;
  /**
   * fusermount3 stays alive and unmounts when this process goes away,
   * however it ends (auto_unmount): a crash leaves no dead mount. Default true.
   */
  autoUnmount?: boolean;
  /** Unmount (lazily) on SIGINT and SIGTERM. Default false. */
  handleSignals?: boolean;
  /** The fusermount3 program. Default 'fusermount3' from PATH. */
  fusermount?: string;
  /** Bound on mounting and on each unmount step, in ms (not on the life of an auto_unmount fusermount3). Default 10000. */
  timeoutMs?: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function mountError(message: string, code: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

function checkOptionValue(name: string, value: string): string {
  // fusermount3 splits its -o argument at commas.
  if (typeof value !== 'string' || value.length === 0 || /[,\\\0-\x1f]/.test(value)) {
    throw invalidArgValue(name, value, 'must be a non-empty string without commas, backslashes or control characters');
  }
  return value;
}

interface Fusermount {
  child: ChildProcess;
  exited: Promise<Exit>;
  stderr: () => string;
}

function runFusermount(fusermount: string, args: string[], stdio: Array<'ignore' | 'pipe' | number>): Fusermount {
  const child = spawn(fusermount, args, { stdio, env: { ...process.env, _FUSE_COMMFD: stdio.length > 3 ? '3' : undefined } });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, stderr: () => stderr.trim() };
}

/** Waits for fusermount3 to exit, killing it after `ms`. */
async function exitOf(helper: Fusermount, ms: number): Promise<Exit> {
  const timer = setTimeout(() => helper.child.kill('SIGKILL'), ms);
  try {
    return await helper.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A mounted file system. Events: 'unmounted' (once, however the mount
 * ended: unmount(), `fusermount3 -u` from outside, the session closed);
 * 'error' (an unmount started by a signal failed; emitted only when
 * listened to).
 */
export class FuseMount extends EventEmitter {
  readonly mountpoint: string;
  readonly session: FuseSession;
  readonly #fusermount: string;
  readonly #timeoutMs: number;
  #comm: FdHandle | null;
  #helper: Fusermount | null;
  #unmounting: Promise<void> | null = null;
  #finished: Promise<void> | null = null;
  #onSignal: (() => void) | null = null;

  /** @internal made by mount() */
  constructor(mountpoint: string, session: FuseSession, comm: FdHandle | null, helper: Fusermount | null, options: MountOptions) {
    super();
    this.mountpoint = mountpoint;
    this.session = session;
    this.#comm = comm;
    this.#helper = helper;
    this.#fusermount = options.fusermount ?? 'fusermount3';
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    // The kernel ended the connection: `fusermount3 -u` from outside, or umount.
    session.once('close', () => void this.#finish());
    if (options.handleSignals) {
      this.#onSignal = () => {
        this.unmount().catch((err) => this.#report(err));
      };
      process.on('SIGINT', this.#onSignal);
      process.on('SIGTERM', this.#onSignal);
    }
  }

  get mounted(): boolean {
    return this.#finished === null;
  }

  /**
   * Unmounts with `fusermount3 -u`, lazily by default (-z: the mount leaves
   * the namespace now even if busy, and processes still inside get ENOTCONN
   * once the session closes), then closes the session. Resolves when done
   * and 'unmounted' was emitted; a second call joins the first.
   * @throws EBUSY when not lazy and the mount is in use (it stays mounted and served);
   *   ERR_FUSE_UNMOUNT when fusermount3 fails otherwise
   */
  unmount(options: { lazy?: boolean } = {}): Promise<void> {
    if (this.#finished) return this.#finished;
    this.#unmounting ??= (async () => {
      const args = ['-u', ...(options.lazy === false ? [] : ['-z']), '--', this.mountpoint];
      const run = runFusermount(this.#fusermount, args, ['ignore', 'ignore', 'pipe']);
      const exit = await exitOf(run, this.#timeoutMs);
      // The kernel may have ended the session meanwhile (unmounted from outside).
      if (exit.code !== 0 && !this.session.closed) {
        const text = exit.error?.message ?? run.stderr();
        throw mountError(`${this.#fusermount} -u ${this.mountpoint} failed: ${text}`, /busy/i.test(text) ? 'EBUSY' : 'ERR_FUSE_UNMOUNT', exit.error);
      }
      await this.#finish();
    })().finally(() => {
      this.#unmounting = null;
    });
    return this.#unmounting;
  }

  #report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #finish(): Promise<void> {
    this.#finished ??= (async () => {
      if (this.#onSignal) {
        process.off('SIGINT', this.#onSignal);
        process.off('SIGTERM', this.#onSignal);
      }
      this.session.close();
      // Closing our end tells an auto_unmount fusermount3 to unmount (a no-op now) and exit.
      this.#comm?.close();
      this.#comm = null;
      if (this.#helper) await exitOf(this.#helper, this.#timeoutMs);
      this.emit('unmounted');
    })();
    return this.#finished;
  }
}

/**
 * Mounts `operations` at `mountpoint` and starts serving it; resolves once
 * the kernel has completed the FUSE handshake (INIT). The process serving a
 * mount must never touch it synchronously (a blocking fs call on the mount
 * from the serving thread waits for a reply that thread would have to give).
 * @throws ENOENT/ENOTDIR for a bad mountpoint; ERR_FUSE_MOUNT when fusermount3
 *   is missing or refuses (its message included); ETIMEDOUT after timeoutMs;
 *   ERR_INVALID_ARG_VALUE for fsName/subtype with commas
 */
export async function mount(mountpoint: string, operations: FuseOperations, options: MountOptions = {}): Promise<FuseMount> {
  const target = path.resolve(mountpoint);
  const stat = await fs.promises.stat(target);
  if (!stat.isDirectory()) throw errnoError('ENOTDIR', 'mount', { path: target });
  const fusermount = options.fusermount ?? 'fusermount3';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const autoUnmount = options.autoUnmount ?? true;
  const mountOptions = [
    `fsname=${checkOptionValue('fsName', options.fsName ?? 'privsep-fuse')}`,
    ...(options.subtype === undefined ? [] : [`subtype=${checkOptionValue('subtype', options.subtype)}`]),
    ...(options.defaultPermissions ?? true ? ['default_permissions'] : []),
    ...(options.allowOther ? ['allow_other'] : []),
    ...(options.readOnly ? ['ro'] : []),
    ...(autoUnmount ? ['auto_unmount'] : []),
  ];
  resolveSessionOptions(options);

  const [mine, theirs] = socketPair('stream');
  // fusermount3 with auto_unmount waits in a blocking recv() for our end to close.
  setNonBlocking(theirs, false);
  let helper: Fusermount;
  try {
    helper = runFusermount(fusermount, ['-o', mountOptions.join(','), '--', target], ['ignore', 'ignore', 'pipe', theirs.fd]);
  } finally {
    theirs.close();
  }
  let fuse: FdHandle | undefined;
  try {
    // fusermount3 sends one byte with the /dev/fuse fd; end of stream means it failed.
    const message = await receiveRaw(mine, { maxBytes: 64, timeoutMs });
    for (const extra of message.fds.slice(1)) extra.close();
    fuse = message.fds[0];
  } catch (err) {
    helper.child.kill('SIGKILL');
    mine.close();
    await helper.exited;
    throw err;
  }
  if (!fuse) {
    mine.close();
    const exit = await exitOf(helper, timeoutMs);
    throw mountError(`${fusermount} could not mount ${target}: ${exit.error?.message ?? (helper.stderr() || `exit ${exit.code ?? exit.signal}`)}`, 'ERR_FUSE_MOUNT', exit.error);
  }
  const session = new FuseSession(fuse, operations, options);
  const initialized = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(mountError(`ETIMEDOUT: no FUSE INIT from the kernel within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    session.once('init', () => {
      clearTimeout(timer);
      resolve();
    });
    session.once('close', () => {
      clearTimeout(timer);
      reject(mountError(`the FUSE connection for ${target} closed before INIT`, 'ERR_FUSE_MOUNT'));
    });
  });
  // Awaited below; until then a rejection must not count as unhandled.
  initialized.catch(() => {});
  session.start();
  if (!autoUnmount) {
    // Without auto_unmount, fusermount3 exits once it has passed the fd; with
    // it, fusermount3 lives as long as the mount (no timeout applies).
    mine.close();
    await exitOf(helper, timeoutMs);
  }
  const handle = new FuseMount(target, session, autoUnmount ? mine : null, autoUnmount ? helper : null, options);
  try {
    await initialized;
  } catch (err) {
    await handle.unmount().catch(() => {});
    throw err;
  }
  return handle;
}
