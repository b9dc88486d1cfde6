// One worker process as the master sees it: started as root in a fresh
// network namespace (it drops its own credentials once its code is loaded, or
// once a spare is given its identity: see spare-worker.ts),
// with the monitor channel at fd 3, the control channel at fd 4, /dev/null as
// its stdin and stdout and a socket the master reads as its stderr (never the
// master's terminal), and no log fd (it sends its log events on the monitor
// channel). Privileged side.
import { BrokerClient, BrokerServer, refusal, socketPair, spawnWithCredentials, type Broker, type CredentialedProcess, type FdHandle, type ServerHandlers } from 'privsep';
import { controlProtocol, monitorProtocol, type SpareSpec, type WorkerIdentity, type WorkerSpec } from '../protocols.js';
import { ChildStderr } from './child-stderr.js';
import { gcExposed } from '../heap-stats.js';
import { rootIdsReason } from '../root-ids.js';
import { workerMain } from './worker-script.js';

export { workerMain };

// MINIFTP_NODE_FLAGS (space-separated): every child's flags instead of these.
const givenFlags = process.env.MINIFTP_NODE_FLAGS?.split(' ').filter(Boolean);
// A master started with --expose-gc (a debugging aid) lets every process
// collect before it answers `stats`.
const gcFlags = gcExposed ? ['--expose-gc'] : [];

/**
 * Node flags for miniftp's support processes (the helper, the TLS gate): a
 * small young generation and V8's memory-saving mode, since they mostly wait
 * on sockets and move data in the kernel.
 */
export const NODE_FLAGS = [...(givenFlags ?? ['--optimize-for-size', '--max-semi-space-size=1']), ...gcFlags];

/**
 * The workers' V8 flags: none. V8 refuses a code cache made under other
 * flags than its own, Node's embedded cache of its modules included: with
 * any V8 flag on its command line, a worker compiles Node's modules from
 * source at start (about 15 ms of CPU here, a sixth of a spare's start) and
 * its bundle's cache must be made under the same flags. A worker sets its
 * memory flags at run time instead (worker-main.ts).
 */
export const WORKER_V8_FLAGS = [...(givenFlags ?? []), ...gcFlags];

/**
 * Extra flags for the helper, which runs little JavaScript: no JIT (its code
 * space is the larger part of its memory). MINIFTP_LIGHT_NODE_FLAGS replaces them.
 */
export const LIGHT_NODE_FLAGS = (process.env.MINIFTP_LIGHT_NODE_FLAGS ?? '--jitless --no-expose-wasm').split(' ').filter(Boolean);

/**
 * Extra flags for the workers, one process per user: one V8 background
 * thread instead of four (8 threads instead of 11, each with its stack and
 * malloc arena; fewer threads to drop and check). MINIFTP_WORKER_NODE_FLAGS
 * replaces them.
 */
export const WORKER_NODE_FLAGS = (process.env.MINIFTP_WORKER_NODE_FLAGS ?? '--v8-pool-size=1').split(' ').filter(Boolean);

export type MonitorHandlers = ServerHandlers<typeof monitorProtocol.requests>;

/** A child's fds 0 and 1: /dev/null, so that it can neither read nor write (nor ioctl) the master's terminal. */
export const NULL_STDIN_STDOUT = { 0: 'ignore', 1: 'ignore' } as const;

/** A worker's process and the master's ends of its channels, before the master speaks on them. */
export interface SpawnedWorker {
  process: CredentialedProcess;
  stderr: ChildStderr;
  monitorEnd: FdHandle;
  controlEnd: FdHandle;
}

/**
 * Spawns `script` for `start` (in MINIFTP_WORKER), with `extraFds` besides
 * fds 0 to 4; closes the child's ends here once it runs.
 * @throws the spawn's system errors (EPERM, ENOENT, ...)
 */
export function spawnWorker(start: WorkerSpec | SpareSpec, script: string, extraFds: Record<number, FdHandle> = {}): SpawnedWorker {
  const [monitorEnd, monitorTheirs] = socketPair();
  const [controlEnd, controlTheirs] = socketPair();
  const stderr = new ChildStderr();
  const fds = { ...NULL_STDIN_STDOUT, 2: stderr.childEnd, 3: monitorTheirs, 4: controlTheirs, ...extraFds };
  let child: CredentialedProcess;
  try {
    child = spawnWithCredentials(process.execPath, [...WORKER_V8_FLAGS, ...WORKER_NODE_FLAGS, script], {
      fds,
      env: { MINIFTP_WORKER: JSON.stringify(start), PATH: '/usr/bin:/bin', TZ: 'UTC' },
      cwd: '/',
      noNewPrivs: false,
      newNetworkNamespace: start.isolateNetwork,
    });
  } catch (err) {
    monitorEnd.close();
    controlEnd.close();
    stderr.close();
    throw err;
  } finally {
    monitorTheirs.close();
    controlTheirs.close();
  }
  stderr.childEnd.close();
  stderr.forward(`worker ${child.pid}`);
  return { process: child, stderr, monitorEnd, controlEnd };
}

/** Refuses an identity no worker may take. */
export function checkWorkerIdentity(kind: string, identity: WorkerIdentity): void {
  const rootIds = rootIdsReason(identity);
  if (rootIds !== null) {
    throw refusal('EPERM', `refusing to start a ${kind} worker for ${JSON.stringify(identity.user)}: ${rootIds}`);
  }
}

export class WorkerProcess {
  readonly spec: WorkerSpec;
  readonly process: CredentialedProcess;
  readonly monitor: BrokerServer<typeof monitorProtocol.requests>;
  readonly control: Promise<Broker<typeof controlProtocol.requests>>;
  /** The control channel once its hello is done (only then is the worker pinged). */
  connected: Broker<typeof controlProtocol.requests> | null = null;
  readonly sessions = new Set<number>();
  /** What the worker writes to its stderr, copied to the master's. */
  readonly stderr: ChildStderr;
  idleTimer: NodeJS.Timeout | null = null;

  /**
   * Starts `script` (miniftp's worker unless a test gives a stand-in), or
   * takes over `spawned`, a spare that has just been given spec's identity.
   * @throws EPERM for an identity with uid 0 or primary group 0 (the last
   *   guard: start-up and login checks refuse them first); the spawn's
   *   system errors (EPERM, ENOENT, ...)
   */
  constructor(spec: WorkerSpec, handlers: MonitorHandlers, script = workerMain, spawned?: SpawnedWorker) {
    checkWorkerIdentity(spec.kind, spec.identity);
    this.spec = spec;
    const { process: child, stderr, monitorEnd, controlEnd } = spawned ?? spawnWorker(spec, script);
    this.process = child;
    this.stderr = stderr;
    this.monitor = new BrokerServer(monitorEnd, monitorProtocol, handlers, { phase: spec.kind === 'prelogin' ? 'prelogin' : 'postlogin' });
    this.control = BrokerClient.connect(controlEnd, controlProtocol, { timeout: 30_000 });
    // A failed start shows as a rejected `control`; callers handle it.
    this.control.then((c) => (this.connected = c), () => {});
  }

  get pid(): number {
    return this.process.pid;
  }

  /** Ends the worker: its sessions end with it. */
  stop(): void {
    this.monitor.close();
    void this.control.then((c) => c.close(), () => {});
    this.process.kill('SIGKILL');
  }
}

export { type WorkerIdentity };
