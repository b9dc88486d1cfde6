// One worker process as the master sees it: started as root in a fresh
// network namespace (it drops its own credentials once its code is loaded),
// with the monitor channel at fd 3, the control channel at fd 4 and the log
// at fd 5. Privileged side.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BrokerClient, BrokerServer, socketPair, spawnWithCredentials,
  type Broker, type CredentialedProcess, type FdHandle, type ServerHandlers,
} from 'privsep';
import { controlProtocol, monitorProtocol, type WorkerIdentity } from '../protocols.js';
import type { MiniftpConfig } from '../config-table.js';
import { gcExposed } from '../heap-stats.js';

/** Everything a worker needs to know at start, passed in MINIFTP_WORKER. */
export interface WorkerSpec {
  kind: 'prelogin' | 'user';
  config: MiniftpConfig;
  /** For a pre-login worker: nopriv_user's ids and secure_chroot_dir. */
  identity: WorkerIdentity;
  /** Run in an empty network namespace (isolate_network). */
  isolateNetwork: boolean;
}

const workerMain = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'worker-main.js');

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
 * Extra flags for the helper, which runs little JavaScript: no JIT (its code
 * space is the larger part of its memory). MINIFTP_LIGHT_NODE_FLAGS replaces them.
 */
export const LIGHT_NODE_FLAGS = (process.env.MINIFTP_LIGHT_NODE_FLAGS ?? '--jitless --no-expose-wasm').split(' ').filter(Boolean);

export type MonitorHandlers = ServerHandlers<typeof monitorProtocol.requests>;

export class WorkerProcess {
  readonly spec: WorkerSpec;
  readonly process: CredentialedProcess;
  readonly monitor: BrokerServer<typeof monitorProtocol.requests>;
  readonly control: Promise<Broker<typeof controlProtocol.requests>>;
  readonly sessions = new Set<number>();
  idleTimer: NodeJS.Timeout | null = null;

  /** @throws the spawn's system errors (EPERM, ENOENT, ...) */
  constructor(spec: WorkerSpec, handlers: MonitorHandlers, logFd: number | null) {
    this.spec = spec;
    const [monitorEnd, monitorTheirs] = socketPair();
    const [controlEnd, controlTheirs] = socketPair();
    const fds: Record<number, FdHandle | number> = { 3: monitorTheirs, 4: controlTheirs };
    if (logFd !== null) fds[5] = logFd;
    try {
      this.process = spawnWithCredentials(process.execPath, [...NODE_FLAGS, workerMain], {
        fds,
        env: { MINIFTP_WORKER: JSON.stringify(spec), PATH: '/usr/bin:/bin', TZ: 'UTC' },
        cwd: '/',
        noNewPrivs: false,
        newNetworkNamespace: spec.isolateNetwork,
      });
    } catch (err) {
      for (const fd of [monitorEnd, monitorTheirs, controlEnd, controlTheirs]) fd.close();
      throw err;
    }
    monitorTheirs.close();
    controlTheirs.close();
    this.monitor = new BrokerServer(monitorEnd, monitorProtocol, handlers, { phase: spec.kind === 'prelogin' ? 'prelogin' : 'postlogin' });
    this.control = BrokerClient.connect(controlEnd, controlProtocol, { timeout: 30_000 });
    // A failed start shows as a rejected `control`; callers handle it.
    this.control.catch(() => {});
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
