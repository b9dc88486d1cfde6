// One worker process as the master sees it: started as root in a fresh
// network namespace (it drops its own credentials once its code is loaded),
// with the monitor channel at fd 3, the control channel at fd 4, /dev/null as
// its stdin and stdout and a socket the master reads as its stderr (never the
// master's terminal), and no log fd (it sends its log events on the monitor
// channel). Privileged side.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerClient, BrokerServer, refusal, socketPair, spawnWithCredentials, type Broker, type CredentialedProcess, type ServerHandlers } from 'privsep';
import { controlProtocol, monitorProtocol, type WorkerIdentity, type WorkerSpec } from '../protocols.js';
import { ChildStderr } from './child-stderr.js';
import { gcExposed } from '../heap-stats.js';
import { rootIdsReason } from '../root-ids.js';

export const workerMain = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'worker-main.js');

/**
 * Node flags for miniftp's child processes: a small young generation and
 * V8's memory-saving mode, since a worker mostly waits on sockets and moves
 * data in the kernel. MINIFTP_NODE_FLAGS (space-separated) replaces them.
 */
export const NODE_FLAGS = [
  ...(process.env.MINIFTP_NODE_FLAGS ?? '--optimize-for-size --max-semi-space-size=1').split(' ').filter(Boolean),
  // A master started with --expose-gc (a debugging aid) lets every process
  // collect before it answers `stats`.
  ...(gcExposed ? ['--expose-gc'] : []),
];

/**
 * The pre-login worker's flags: the workers' without V8's memory-saving mode.
 * It is one process that runs every connection until its login (banner, USER,
 * PASS, hand-over), and that mode costs it about as much CPU per login as the
 * rest of its work, for about a MiB saved once.
 */
const PRELOGIN_NODE_FLAGS = NODE_FLAGS.filter((flag) => flag !== '--optimize-for-size');

/**
 * Extra flags for the helper, which runs little JavaScript: no JIT (its code
 * space is the larger part of its memory). MINIFTP_LIGHT_NODE_FLAGS replaces them.
 */
export const LIGHT_NODE_FLAGS = (process.env.MINIFTP_LIGHT_NODE_FLAGS ?? '--jitless --no-expose-wasm').split(' ').filter(Boolean);

export type MonitorHandlers = ServerHandlers<typeof monitorProtocol.requests>;

/** A child's fds 0 and 1: /dev/null, so that it can neither read nor write (nor ioctl) the master's terminal. */
export const NULL_STDIN_STDOUT = { 0: 'ignore', 1: 'ignore' } as const;

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
   * Starts `script` (miniftp's worker unless a test gives a stand-in).
   * @throws EPERM for an identity with uid 0 or primary group 0 (the last
   *   guard: start-up and login checks refuse them first); the spawn's
   *   system errors (EPERM, ENOENT, ...)
   */
  constructor(spec: WorkerSpec, handlers: MonitorHandlers, script = workerMain) {
    const rootIds = rootIdsReason(spec.identity);
    if (rootIds !== null) {
      throw refusal('EPERM', `refusing to start a ${spec.kind} worker for ${JSON.stringify(spec.identity.user)}: ${rootIds}`);
    }
    this.spec = spec;
    const [monitorEnd, monitorTheirs] = socketPair();
    const [controlEnd, controlTheirs] = socketPair();
    const stderr = new ChildStderr();
    const fds = { ...NULL_STDIN_STDOUT, 2: stderr.childEnd, 3: monitorTheirs, 4: controlTheirs };
    try {
      this.process = spawnWithCredentials(process.execPath, [...(spec.kind === 'prelogin' ? PRELOGIN_NODE_FLAGS : NODE_FLAGS), script], {
        fds,
        env: { MINIFTP_WORKER: JSON.stringify(spec), PATH: '/usr/bin:/bin', TZ: 'UTC' },
        cwd: '/',
        noNewPrivs: false,
        newNetworkNamespace: spec.isolateNetwork,
      });
    } catch (err) {
      for (const fd of [monitorEnd, monitorTheirs, controlEnd, controlTheirs]) fd.close();
      stderr.close();
      throw err;
    }
    stderr.childEnd.close();
    stderr.forward(`worker ${this.process.pid}`);
    this.stderr = stderr;
    monitorTheirs.close();
    controlTheirs.close();
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
