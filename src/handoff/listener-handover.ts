// Listener hand-over between two generations of a server (a binary upgrade):
// the running generation sends its listening sockets over a unix socket to a
// new one, which starts accepting on them and says READY; only then does the
// old one stop accepting. Both hold the same sockets meanwhile, so a
// connection waiting in the kernel's accept queue is taken by one or the
// other, never lost; closing the old one's copies closes nothing the new one holds.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { Channel } from '../fd/channel.js';
import { socketPair } from '../fd/socketpair.js';
import { connectUnix, listenUnix, type UnixServer } from '../fd/unix.js';
import { PrivsepError, checkInteger, invalidArgValue, isErrnoError } from '../errors.js';
import type { FdHandle } from '../fd/fd-handle.js';
import type { InheritedListener } from './acceptor.js';
import { FAILED, OFFER, READY, RELEASED, decodeFailed, decodeOffer, encodeFailed, encodeOffer, expectType } from './handover-wire.js';

/** The environment variable that tells a new generation which fd is its hand-over channel. */
export const HANDOVER_FD_ENV = 'PRIVSEP_HANDOVER_FD';
// The fd a spawned generation finds its channel at.
const CHILD_FD = 3;

/** A listener this generation offers: it keeps its own fd until it releases them. */
export interface OfferedListener {
  name: string;
  fd: number;
}

/** How to start a new generation (default: this program again, with the same arguments, environment and directory). */
export interface GenerationCommand {
  file?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ListenerHandoverOptions {
  /** The listeners to offer, asked for at each hand-over. */
  listeners: () => readonly OfferedListener[];
  /** Stops accepting on this side; called once the new generation accepts. */
  release: () => void;
  /** How long a new generation may take from the offer to READY (default 60 s). */
  readyTimeoutMs?: number;
}

export declare interface ListenerHandover {
  /** The new generation (pid) accepts on the listeners and this one has released them. */
  on(event: 'handed-over', listener: (pid: number) => void): this;
  /** A hand-over failed (ERR_PRIVSEP_HANDOVER_FAILED or _BUSY); this generation keeps accepting. */
  on(event: 'failed', listener: (err: Error) => void): this;
}

function handoverError(code: 'ERR_PRIVSEP_HANDOVER_BUSY' | 'ERR_PRIVSEP_HANDOVER_FAILED', message: string, cause?: unknown): PrivsepError {
  return new PrivsepError(code, message, cause === undefined ? undefined : { cause });
}

/** Root, or the user this process runs as: the only peers a hand-over socket deals with. */
function trustedUid(uid: number): boolean {
  return uid === 0 || uid === process.getuid!();
}

/**
 * The running generation's side: offers its listeners to a new generation it
 * starts (spawn()) or to one that connects to a unix socket (listen()), one
 * hand-over at a time. After a successful one it refuses any other.
 */
export class ListenerHandover extends EventEmitter {
  readonly #listeners: () => readonly OfferedListener[];
  readonly #release: () => void;
  readonly #readyTimeoutMs: number;
  #state: 'idle' | 'running' | 'released' = 'idle';
  #server: UnixServer | null = null;

  constructor(options: ListenerHandoverOptions) {
    super();
    this.#listeners = options.listeners;
    this.#release = options.release;
    this.#readyTimeoutMs = checkInteger('readyTimeoutMs', options.readyTimeoutMs ?? 60_000, 1, 2 ** 31 - 1);
  }

  /** 'idle', 'running' (a hand-over is under way) or 'released' (the listeners are another generation's now). */
  get state(): 'idle' | 'running' | 'released' {
    return this.#state;
  }

  /**
   * Starts a new generation with the hand-over channel at fd 3 (named by
   * PRIVSEP_HANDOVER_FD), in a session of its own, with this process's
   * stdout and stderr, and offers it the listeners. Resolves with its pid
   * once it accepts and this generation has released them.
   * @throws ERR_PRIVSEP_HANDOVER_BUSY; ERR_PRIVSEP_HANDOVER_FAILED (the listeners stay here)
   */
  async spawn(command: GenerationCommand = {}): Promise<number> {
    this.#claim();
    let child;
    let mine: FdHandle | null = null;
    let theirs: FdHandle | null = null;
    try {
      [mine, theirs] = socketPair();
      const env: NodeJS.ProcessEnv = { ...(command.env ?? process.env), [HANDOVER_FD_ENV]: String(CHILD_FD) };
      // Fds passed by systemd start at 3 too: they are not the new generation's.
      // WATCHDOG_PID names this process: without it the new generation keeps
      // the watchdog alive itself once systemd takes it as the main process.
      for (const name of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_PID']) delete env[name];
      child = spawn(command.file ?? process.execPath, command.args ?? [...process.execArgv, ...process.argv.slice(1)], {
        cwd: command.cwd ?? process.cwd(),
        env,
        stdio: ['ignore', 'inherit', 'inherit', theirs.fd],
        detached: true,
      });
    } catch (err) {
      mine?.close();
      throw this.#failed(handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `cannot start the new generation: ${(err as Error).message}`, err));
    } finally {
      theirs?.close();
    }
    child.unref();
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
      child.once('error', (err) => resolve(`could not start: ${err.message}`));
    });
    if (child.pid === undefined) {
      mine.close();
      throw this.#failed(handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `the new generation ${await exited}`));
    }
    const pid = child.pid;
    return this.#offer(Channel.fromFd(mine), pid, exited, () => child.kill('SIGKILL'));
  }

  /**
   * Listens on a unix socket (mode 0600) for a new generation started by
   * hand (see connectListenerHandover()): a peer that is neither root nor
   * this process's user is turned away. A stale socket file nobody listens
   * on is replaced. Closed when the listeners are released.
   * @throws EADDRINUSE when another process listens there
   */
  async listen(path: string): Promise<UnixServer> {
    if (this.#server) throw invalidArgValue('path', path, 'is a second hand-over socket: this generation listens on one already');
    const server = await listenReplacingStale(path);
    fs.chmodSync(path, 0o600);
    server.on('connection', (channel) => this.#onConnection(channel));
    server.on('error', () => {}); // EMFILE and the like: the next connection tries again
    server.unref();
    this.#server = server;
    return server;
  }

  /** Closes the hand-over socket, if any. */
  close(): void {
    this.#server?.close();
    this.#server = null;
  }

  #onConnection(channel: Channel): void {
    let pid: number;
    try {
      const peer = channel.peerCredentials();
      if (!trustedUid(peer.uid)) {
        void channel.send(encodeFailed(`uid ${peer.uid} may not take the listeners`)).finally(() => channel.close());
        this.emit('failed', handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `pid ${peer.pid} (uid ${peer.uid}) asked for the listeners; only root or uid ${process.getuid!()} may`));
        return;
      }
      pid = peer.pid;
      this.#claim();
    } catch (err) {
      void channel.send(encodeFailed((err as Error).message)).finally(() => channel.close());
      return;
    }
    this.#offer(channel, pid, new Promise(() => {}), () => {}).catch(() => {});
  }

  // Marks a hand-over as running, or refuses a second one.
  #claim(): void {
    if (this.#state === 'idle') {
      this.#state = 'running';
      return;
    }
    throw this.#failed(handoverError('ERR_PRIVSEP_HANDOVER_BUSY', this.#state === 'running'
      ? 'a listener hand-over is under way already'
      : 'this generation has handed its listeners over already'));
  }

  #failed(err: PrivsepError): PrivsepError {
    if (this.#state === 'running' && err.code === 'ERR_PRIVSEP_HANDOVER_FAILED') this.#state = 'idle';
    this.emit('failed', err);
    return err;
  }

  async #offer(channel: Channel, pid: number, exited: Promise<string>, kill: () => void): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const listeners = this.#listeners();
      if (listeners.length === 0) throw new Error('there are no listeners to hand over');
      await channel.send(encodeOffer(listeners.map((l) => l.name)), listeners.map((l) => l.fd));
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          kill();
          reject(new Error(`did not say it was ready within ${this.#readyTimeoutMs} ms`));
        }, this.#readyTimeoutMs);
      });
      const gone = channel.receive().catch(async (err: Error) => {
        // What became of it, when it is our child and says so within a second.
        const status = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('closed the hand-over channel'), 1000).unref())]);
        throw new Error(`${status} before it was ready`, { cause: err });
      });
      const reply = await Promise.race([gone, deadline]);
      for (const fd of reply.fds) fd.close();
      if (expectType(reply.data, [READY, FAILED]) === FAILED) throw new Error(`refused them: ${decodeFailed(reply.data)}`);
    } catch (err) {
      channel.close();
      throw this.#failed(handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `the new generation (pid ${pid}) did not take the listeners: ${(err as Error).message}`, err));
    } finally {
      clearTimeout(timer);
    }
    this.#state = 'released';
    try {
      this.#release();
    } finally {
      this.close();
      await channel.send(Buffer.from([RELEASED])).catch(() => {});
      channel.close();
    }
    this.emit('handed-over', pid);
    return pid;
  }
}

async function listenReplacingStale(path: string): Promise<UnixServer> {
  try {
    return listenUnix(path);
  } catch (err) {
    if (!isErrnoError(err, 'EADDRINUSE') || !fs.lstatSync(path, { throwIfNoEntry: false })?.isSocket()) throw err;
    const alive = await connectUnix(path, { timeoutMs: 100 }).then((c) => (c.close(), true), () => false);
    if (alive) throw err;
    fs.rmSync(path, { force: true });
    return listenUnix(path);
  }
}

/** The new generation's side: the listeners it was given, and its answer. */
export interface ReceivedListeners {
  /** For `new Acceptor(...)` or `HandoffOptions.listen`; the caller owns the handles. */
  readonly listeners: InheritedListener[];
  /** pid of the generation that offered them. */
  readonly from: number;
  /**
   * Tells the old generation that this one accepts on the listeners now;
   * resolves once it has stopped accepting (or is gone, or after `timeoutMs`, default 10 s).
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Tells the old generation that this one will not take them (it keeps accepting), and closes the channel. */
  fail(message: string): Promise<void>;
}

/**
 * Waits for the listeners offered on `channel` (default deadline 10 s).
 * @throws ERR_PRIVSEP_PROTOCOL for a bad message; ERR_PRIVSEP_HANDOVER_FAILED when the old generation refused or went away
 */
export async function receiveListeners(channel: Channel, options: { timeoutMs?: number } = {}): Promise<ReceivedListeners> {
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1);
  let timer: NodeJS.Timeout | undefined;
  let handles: FdHandle[] = [];
  let names: string[];
  try {
    const from = channel.peerCredentials().pid;
    const message = await Promise.race([
      channel.receive(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no offer within ${timeoutMs} ms`)), timeoutMs))),
    ]).catch((err: Error) => {
      throw handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `no listeners from pid ${from}: ${err.message}`, err);
    });
    handles = message.fds;
    if (expectType(message.data, [OFFER, FAILED]) === FAILED) throw handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `pid ${from} refused: ${decodeFailed(message.data)}`);
    names = decodeOffer(message.data, handles.length);
    const listeners = names.map((name, i) => ({ name, handle: handles[i]! }));
    return { listeners, from, ready: (ms) => sayReady(channel, ms), fail: (text) => sayFailed(channel, text) };
  } catch (err) {
    for (const handle of handles) handle.close();
    channel.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function sayReady(channel: Channel, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await channel.send(Buffer.from([READY]));
    const released = channel.receive().then((m) => {
      for (const fd of m.fds) fd.close();
      expectType(m.data, [RELEASED]);
    }, () => {});
    await Promise.race([released, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  } catch {
    // An old generation that is gone has stopped accepting too.
  } finally {
    clearTimeout(timer);
    channel.close();
  }
}

async function sayFailed(channel: Channel, message: string): Promise<void> {
  await channel.send(encodeFailed(message)).catch(() => {});
  channel.close();
}

/**
 * The listeners handed to this process by the generation that started it
 * (ListenerHandover.spawn()), or null when it was not started so. Removes
 * PRIVSEP_HANDOVER_FD from the environment.
 * @throws as receiveListeners(); ERR_INVALID_ARG_VALUE for a PRIVSEP_HANDOVER_FD that is not an fd number
 */
export async function inheritedListeners(options: { timeoutMs?: number } = {}): Promise<ReceivedListeners | null> {
  const value = process.env[HANDOVER_FD_ENV];
  if (value === undefined) return null;
  delete process.env[HANDOVER_FD_ENV];
  if (!/^\d{1,9}$/.test(value)) throw invalidArgValue(`process.env.${HANDOVER_FD_ENV}`, value, 'is not an fd number');
  return receiveListeners(Channel.fromFd(Number(value)), options);
}

/**
 * Takes the listeners from a running generation that listens on `path`
 * (ListenerHandover.listen()), when it runs as root or as this process's user.
 * @throws ENOENT, ECONNREFUSED; ERR_PRIVSEP_HANDOVER_FAILED; as receiveListeners()
 */
export async function connectListenerHandover(path: string, options: { timeoutMs?: number } = {}): Promise<ReceivedListeners> {
  const channel = await connectUnix(path);
  const peer = channel.peerCredentials();
  if (!trustedUid(peer.uid)) {
    channel.close();
    throw handoverError('ERR_PRIVSEP_HANDOVER_FAILED', `${path} is served by pid ${peer.pid} as uid ${peer.uid}, neither root nor this user`);
  }
  return receiveListeners(channel, options);
}
