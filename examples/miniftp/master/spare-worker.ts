// A spare worker (spare_workers): a user worker started before a login needs
// it, as root in its empty network namespace, with its code loaded and no
// identity. Until the master assigns it one it holds no fd but 0 to 5
// (/dev/null, its stderr, its three channels to the master) and Node's own
// (epoll, eventfd, pipes), and reads
// nothing but fd 5, on which the master writes the identity once; it then
// drops to it exactly as a worker started for that identity does, and is
// that identity's worker from then on. One started while logins run goes in
// the SCHED_IDLE class, so that starting it takes only CPU time no login
// wants; it is back in the normal class before it is given an identity.
// Privileged side.
import { refusal, setIdleScheduling, socketPair, type FdHandle } from 'privsep';
import { SPARE_IDENTITY_FD, type SpareSpec, type WorkerSpec } from '../protocols.js';
import { checkWorkerIdentity, spawnWorker, WorkerProcess, workerMain, type MonitorHandlers, type SpawnedWorker } from './worker-process.js';

export class SpareWorker {
  readonly #spawned: SpawnedWorker;
  #assignEnd: FdHandle | null;

  /** @throws the spawn's system errors (EPERM, ENOENT, ...) */
  constructor(start: SpareSpec, script = workerMain, idle = false) {
    const [assignEnd, assignTheirs] = socketPair();
    try {
      this.#spawned = spawnWorker(start, script, { [SPARE_IDENTITY_FD]: assignTheirs });
    } catch (err) {
      assignEnd.close();
      throw err;
    } finally {
      assignTheirs.close();
    }
    this.#assignEnd = assignEnd;
    if (!idle) return;
    try {
      setIdleScheduling(this.pid, true);
    } catch (err) {
      // It starts in the normal class, as any worker does.
      console.error(`miniftp: spare worker ${this.pid} starts in the normal class (${(err as Error).message})`);
    }
  }

  get pid(): number {
    return this.#spawned.process.pid;
  }

  get exited(): Promise<unknown> {
    return this.#spawned.process.exited;
  }

  /**
   * Gives the spare `spec`'s identity (once): the answer is the worker of
   * that identity, which the spare becomes.
   * @throws EPERM for an identity of root; EALREADY for a spare assigned before;
   *   the errors of leaving SCHED_IDLE (ESRCH: the spare died)
   */
  assign(spec: WorkerSpec, handlers: MonitorHandlers): WorkerProcess {
    const assignEnd = this.#assignEnd;
    if (!assignEnd) throw refusal('EALREADY', `spare worker ${this.pid} has been assigned or stopped`);
    checkWorkerIdentity(spec.kind, spec.identity);
    setIdleScheduling(this.pid, false);
    this.#assignEnd = null;
    try {
      // The identity, then the end of the stream: all the spare waits for.
      const socket = assignEnd.toSocket({ readable: false });
      socket.on('error', () => {});
      socket.end(JSON.stringify(spec.identity));
      return new WorkerProcess(spec, handlers, undefined, this.#spawned);
    } catch (err) {
      // Neither a spare nor a worker: it goes, with the master's ends of it.
      assignEnd.close();
      this.#closeSpawned();
      throw err;
    }
  }

  /** Ends a spare that was never assigned, or closes the master's ends of one that died. */
  stop(): void {
    if (!this.#assignEnd) return;
    this.#assignEnd.close();
    this.#assignEnd = null;
    this.#closeSpawned();
  }

  #closeSpawned(): void {
    const { process: child, monitorEnd, controlEnd } = this.#spawned;
    monitorEnd.close();
    controlEnd.close();
    child.kill('SIGKILL');
  }
}
