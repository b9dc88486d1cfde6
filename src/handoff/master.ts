// HandoffMaster: the privileged side of hand-off. It owns the listeners,
// accepts, and hands each connection to one of its workers, keeping its own
// copy until the worker confirms receipt so that a dying worker loses none.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { Channel } from '../fd/channel.js';
import { FdHandle } from '../fd/fd-handle.js';
import { socketPair } from '../fd/socketpair.js';
import { native } from '../native.js';
import { PrivsepError, checkInteger } from '../errors.js';
import { Acceptor, type AcceptedConnection, type ListenerSpec } from './acceptor.js';
import { ListenerHandover, type GenerationCommand } from './listener-handover.js';
import { launchWorker, type LaunchedWorker, type WorkerCommand } from './launch.js';
import { DRAIN, READY, REPORT, decodeReport, encodeConnections, encodeHello } from './wire.js';

export type HandoffPolicy = 'round-robin' | 'least-connections';

export interface HandoffOptions {
  /** Addresses to bind, or listeners already open (taken over). */
  listen: ListenerSpec[];
  /** How to start a worker, and with which credentials. */
  worker: WorkerCommand;
  /** Number of workers (default 2). */
  workers?: number;
  policy?: HandoffPolicy;
  /** A worker with this many open connections is busy (default 10000). */
  maxConnectionsPerWorker?: number;
  /** Connections held while every worker is busy or starting (default 1024); past it they are refused. */
  maxQueue?: number;
  /** Bytes written to a refused connection before it is closed (default none). */
  refusal?: string | Buffer;
  /** How long draining workers may take before they are killed (default 30 s). */
  drainTimeoutMs?: number;
  /** Listen backlog (default 511). */
  backlog?: number;
  /**
   * How long a worker may take to confirm a connection handed to it (default
   * 3 s). A worker that misses it gets no more connections, its unconfirmed
   * ones go to another worker, and it is killed and replaced.
   */
  ackTimeoutMs?: number;
  /** How long a new worker may take to become ready before it is killed and replaced (default 30 s). */
  startTimeoutMs?: number;
  /** How long a new generation may take to accept on the listeners handed to it (default 60 s; see upgrade()). */
  upgradeTimeoutMs?: number;
}

/** What HandoffMaster.reload() may change; what is left out stays as it was. */
export interface HandoffReload {
  /**
   * The listeners from now on. One whose address (host, port, ipv6Only) was
   * given before is kept open throughout, with its port; the others are bound
   * (all or nothing: on an error nothing changes) and the old ones that are
   * not kept are closed.
   */
  listen?: ListenerSpec[];
  /** How to start the new workers. */
  worker?: WorkerCommand;
  workers?: number;
  policy?: HandoffPolicy;
}

interface Pending extends AcceptedConnection {
  id: number;
  /** When it was last handed to a worker (Date.now()). */
  sentAt: number;
}

interface WorkerState {
  launched: LaunchedWorker;
  channel: Channel;
  generation: number;
  ready: boolean;
  draining: boolean;
  startedAt: number;
  /** Sent but not confirmed: the master still holds these fds. */
  unacked: Map<number, Pending>;
  /** Confirmed and still open in the worker. */
  open: number;
  gone: boolean;
  /** Fires when the oldest unconfirmed connection may have missed ackTimeoutMs; also the start deadline. */
  deadline: NodeJS.Timeout | null;
}

export interface WorkerInfo {
  pid: number;
  generation: number;
  ready: boolean;
  draining: boolean;
  connections: number;
}

export declare interface HandoffMaster {
  on(event: 'worker-ready', listener: (pid: number) => void): this;
  on(event: 'worker-exit', listener: (pid: number, code: number | null, signal: string | null) => void): this;
  on(event: 'refused', listener: (count: number) => void): this;
  /** A worker missed its deadline (start or confirmation); it is killed and replaced. */
  on(event: 'worker-unresponsive', listener: (pid: number) => void): this;
  /** A line the worker wrote to its stdout or stderr (at most MAX_OUTPUT_LINE characters). */
  on(event: 'worker-output', listener: (pid: number, line: string) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/**
 * Accepts on every listener and hands connections to workers it spawns with
 * the credentials of `options.worker`. Replaces workers that die (with a
 * growing delay if they keep dying), reloads them without closing the
 * listeners, and shuts down gracefully.
 * @throws the Acceptor's bind errors (EADDRINUSE, EACCES)
 */
export class HandoffMaster extends EventEmitter {
  #acceptor: Acceptor;
  #listen: ListenerSpec[];
  /** Hands the listeners to a new generation (upgrade(), or `handover.listen(path)` for one started by hand). */
  readonly handover: ListenerHandover;
  readonly #options: Required<Omit<HandoffOptions, 'refusal' | 'listen' | 'upgradeTimeoutMs'>> & { refusal: Buffer | null };
  readonly #workers = new Set<WorkerState>();
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #generation = 0;
  #cursor = 0;
  #quickDeaths = 0;
  #stopping: Promise<void> | null = null;

  constructor(options: HandoffOptions) {
    super();
    this.#options = {
      worker: options.worker,
      workers: checkInteger('workers', options.workers ?? 2, 1, 1024),
      policy: options.policy ?? 'round-robin',
      maxConnectionsPerWorker: checkInteger('maxConnectionsPerWorker', options.maxConnectionsPerWorker ?? 10_000, 1, 2 ** 31 - 1),
      maxQueue: checkInteger('maxQueue', options.maxQueue ?? 1024, 0, 2 ** 31 - 1),
      drainTimeoutMs: checkInteger('drainTimeoutMs', options.drainTimeoutMs ?? 30_000, 0, 2 ** 31 - 1),
      ackTimeoutMs: checkInteger('ackTimeoutMs', options.ackTimeoutMs ?? 3_000, 1, 2 ** 31 - 1),
      startTimeoutMs: checkInteger('startTimeoutMs', options.startTimeoutMs ?? 30_000, 1, 2 ** 31 - 1),
      backlog: options.backlog ?? 511,
      refusal: options.refusal === undefined ? null : Buffer.from(options.refusal),
    };
    this.#listen = [...options.listen];
    this.#acceptor = this.#accept(options.listen);
    // Once the new generation accepts, this one drains as shutdown() does,
    // except that the connections it accepted already still go to its workers.
    this.handover = new ListenerHandover({
      listeners: () => this.#acceptor.sockets,
      release: () => {
        this.#acceptor.close();
        this.#stopping ??= this.#drainAll(this.#options.drainTimeoutMs);
      },
      readyTimeoutMs: options.upgradeTimeoutMs,
    });
    this.#startGeneration();
  }

  /** The listeners (a reload that changes an address replaces it). */
  get acceptor(): Acceptor {
    return this.#acceptor;
  }

  #accept(listen: readonly ListenerSpec[]): Acceptor {
    const acceptor = new Acceptor(listen, { backlog: this.#options.backlog });
    acceptor.on('connections', (batch) => this.#onConnections(batch));
    acceptor.on('error', (err) => this.emit('error', err));
    return acceptor;
  }

  // The new listeners: an address listened on already keeps its socket (a
  // duplicate of its fd, so that closing the old Acceptor leaves it open).
  #rebind(listen: readonly ListenerSpec[]): Acceptor {
    const taken = new Set<number>();
    const specs = listen.map((spec): ListenerSpec => {
      if ('handle' in spec) return spec;
      const same = this.#listen.findIndex((old, i) => !taken.has(i) && !('handle' in old) && old.host === spec.host && old.port === spec.port
        && (old.ipv6Only ?? true) === (spec.ipv6Only ?? true));
      if (same < 0) return spec;
      taken.add(same);
      return { handle: new FdHandle(native.dup(this.#acceptor.sockets[same]!.fd)), ...(spec.name === undefined ? {} : { name: spec.name }) };
    });
    return this.#accept(specs);
  }

  /** The workers now running. */
  workers(): WorkerInfo[] {
    return [...this.#workers].map((w) => ({
      pid: w.launched.pid,
      generation: w.generation,
      ready: w.ready,
      draining: w.draining,
      connections: w.open + w.unacked.size,
    }));
  }

  /** Connections waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves when every worker of the current generation is ready. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.#workers].filter((w) => w.generation === this.#generation && w.ready).length < this.#options.workers) {
      if (Date.now() > deadline) throw new Error('workers did not become ready in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Starts a new generation of workers (with `changes`); once they are
   * ready, the old ones drain and exit. Listeners whose address did not
   * change stay open throughout.
   * @throws the Acceptor's bind errors for a new address (nothing changed then); RangeError for a bad worker count
   */
  async reload(changes: HandoffReload = {}): Promise<void> {
    const workers = changes.workers === undefined ? this.#options.workers : checkInteger('workers', changes.workers, 1, 1024);
    // Bound first: a listener that cannot be opened changes nothing.
    const acceptor = changes.listen ? this.#rebind(changes.listen) : null;
    if (acceptor) {
      this.#acceptor.close();
      this.#acceptor = acceptor;
      this.#listen = [...changes.listen!];
    }
    this.#options.workers = workers;
    if (changes.worker) this.#options.worker = changes.worker;
    if (changes.policy) this.#options.policy = changes.policy;
    const old = [...this.#workers];
    this.#startGeneration();
    await this.ready();
    for (const worker of old) this.#drain(worker);
  }

  /**
   * Starts a new generation of the whole server (this program again, by
   * default) and hands it the listeners; once it accepts on them this master
   * stops accepting and drains as shutdown() does (await shutdown() for its
   * end). Resolves with the new master's pid. A new generation that fails
   * leaves this one accepting as before.
   * @throws ERR_PRIVSEP_HANDOVER_BUSY; ERR_PRIVSEP_HANDOVER_FAILED
   */
  upgrade(command?: GenerationCommand): Promise<number> {
    if (this.#stopping && this.handover.state === 'idle') {
      return Promise.reject(new PrivsepError('ERR_PRIVSEP_HANDOVER_BUSY', 'this master is shutting down'));
    }
    return this.handover.spawn(command);
  }

  /** Stops accepting, lets workers finish their connections, and resolves when all have exited. */
  shutdown(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#acceptor.close();
    this.handover.close();
    this.#stopping = this.#drainAll(0);
    return this.#stopping;
  }

  // Gives the connections still queued up to `queueMs` to reach a worker
  // (the rest are closed), then drains every worker.
  async #drainAll(queueMs: number): Promise<void> {
    const giveUpAt = Date.now() + queueMs;
    while (this.#queue.length > 0 && this.#workers.size > 0 && Date.now() < giveUpAt) await new Promise((r) => setTimeout(r, 20));
    for (const pending of this.#queue.splice(0)) native.close(pending.fd);
    const exits = [...this.#workers].map((w) => w.launched.exited);
    for (const worker of this.#workers) this.#drain(worker);
    await Promise.all(exits);
  }

  #startGeneration(): void {
    this.#generation++;
    for (let i = 0; i < this.#options.workers; i++) this.#spawn(this.#generation);
  }

  #spawn(generation: number): void {
    const [mine, theirs] = socketPair();
    let launched: LaunchedWorker;
    try {
      launched = launchWorker(this.#options.worker, theirs.fd, (line) => this.emit('worker-output', launched.pid, line));
    } catch (err) {
      mine.close();
      theirs.close();
      this.emit('error', err as Error);
      this.#scheduleReplacement(generation);
      return;
    }
    theirs.close();
    const channel = Channel.fromFd(mine);
    const worker: WorkerState = {
      launched, channel, generation, ready: false, draining: false, startedAt: Date.now(),
      unacked: new Map(), open: 0, gone: false, deadline: null,
    };
    this.#workers.add(worker);
    worker.deadline = setTimeout(() => this.#onUnresponsive(worker), this.#options.startTimeoutMs);
    channel.on('message', ({ data, fds }) => {
      for (const fd of fds) fd.close();
      if (data[0] === READY) {
        if (worker.ready) return;
        worker.ready = true;
        this.#clearDeadline(worker);
        this.emit('worker-ready', launched.pid);
        this.#pump();
      } else if (data[0] === REPORT) {
        this.#onReport(worker, data);
      } else {
        channel.close();
      }
    });
    channel.on('close', () => this.#onWorkerGone(worker));
    launched.exited.then(({ code, signal }) => {
      this.#onWorkerGone(worker);
      this.emit('worker-exit', launched.pid, code, signal);
    });
    void channel.send(encodeHello(this.#acceptor.sockets.map((l) => l.name))).catch(() => {});
  }

  #onReport(worker: WorkerState, data: Buffer): void {
    let report: { acked: number[]; closed: number[] };
    try {
      report = decodeReport(data);
    } catch {
      worker.channel.close();
      return;
    }
    for (const id of report.acked) {
      const pending = worker.unacked.get(id);
      if (!pending) continue;
      worker.unacked.delete(id);
      worker.open++;
      native.close(pending.fd);
    }
    worker.open = Math.max(0, worker.open - report.closed.length);
    if (report.closed.length > 0) this.#pump();
  }

  // Arms the confirmation deadline of the oldest connection the worker holds
  // unconfirmed. Confirmations do not disarm it: when it fires it looks again,
  // so a busy worker costs one timer per ackTimeoutMs, not one per batch.
  #armAckDeadline(worker: WorkerState): void {
    if (worker.deadline || worker.gone || worker.unacked.size === 0) return;
    const oldest = worker.unacked.values().next().value!.sentAt;
    const left = oldest + this.#options.ackTimeoutMs - Date.now();
    worker.deadline = setTimeout(() => {
      worker.deadline = null;
      if (worker.gone || worker.unacked.size === 0) return;
      if (worker.unacked.values().next().value!.sentAt + this.#options.ackTimeoutMs <= Date.now()) this.#onUnresponsive(worker);
      else this.#armAckDeadline(worker);
    }, Math.max(left, 0));
  }

  #clearDeadline(worker: WorkerState): void {
    if (worker.deadline) clearTimeout(worker.deadline);
    worker.deadline = null;
  }

  #onUnresponsive(worker: WorkerState): void {
    worker.deadline = null;
    if (worker.gone) return;
    this.emit('worker-unresponsive', worker.launched.pid);
    this.#onWorkerGone(worker);
  }

  #onWorkerGone(worker: WorkerState): void {
    if (worker.gone) return;
    worker.gone = true;
    this.#clearDeadline(worker);
    this.#workers.delete(worker);
    worker.channel.close();
    worker.launched.kill('SIGKILL');
    // Connections the worker never confirmed go to another worker.
    this.#queue.unshift(...worker.unacked.values());
    worker.unacked.clear();
    if (!worker.draining && !this.#stopping && worker.generation === this.#generation) {
      this.#quickDeaths = Date.now() - worker.startedAt < 5_000 ? this.#quickDeaths + 1 : 0;
      this.#scheduleReplacement(worker.generation);
    }
    this.#pump();
  }

  #scheduleReplacement(generation: number): void {
    const delay = this.#quickDeaths === 0 ? 0 : Math.min(100 * 2 ** (this.#quickDeaths - 1), 10_000);
    setTimeout(() => {
      if (!this.#stopping && generation === this.#generation) this.#spawn(generation);
    }, delay);
  }

  #drain(worker: WorkerState): void {
    if (worker.draining || worker.gone) return;
    worker.draining = true;
    void worker.channel.send(Buffer.from([DRAIN])).catch(() => {});
    const timer = setTimeout(() => worker.launched.kill('SIGKILL'), this.#options.drainTimeoutMs);
    void worker.launched.exited.then(() => clearTimeout(timer));
  }

  #onConnections(batch: AcceptedConnection[]): void {
    for (const connection of batch) {
      this.#queue.push({ ...connection, id: this.#nextId, sentAt: 0 });
      this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    }
    this.#pump();
    let refused = 0;
    // Whatever could not go to a worker now waits, up to maxQueue.
    while (this.#queue.length > this.#options.maxQueue) {
      this.#refuse(this.#queue.pop()!.fd);
      refused++;
    }
    if (refused > 0) this.emit('refused', refused);
  }

  #refuse(fd: number): void {
    if (this.#options.refusal) {
      try {
        fs.writeSync(fd, this.#options.refusal);
      } catch {
        // A refused peer that is already gone needs no message.
      }
    }
    native.close(fd);
  }

  #pick(): WorkerState | null {
    const candidates = [...this.#workers].filter(
      (w) => w.ready && !w.draining && !w.gone && w.open + w.unacked.size < this.#options.maxConnectionsPerWorker,
    );
    if (candidates.length === 0) return null;
    if (this.#options.policy === 'least-connections') {
      return candidates.reduce((a, b) => (b.open + b.unacked.size < a.open + a.unacked.size ? b : a));
    }
    this.#cursor = (this.#cursor + 1) % candidates.length;
    return candidates[this.#cursor]!;
  }

  #pump(): void {
    if (this.#queue.length === 0) return;
    const batches = new Map<WorkerState, Pending[]>();
    while (this.#queue.length > 0) {
      const worker = this.#pick();
      if (!worker) break;
      const pending = this.#queue.shift()!;
      pending.sentAt = Date.now();
      worker.unacked.set(pending.id, pending);
      let batch = batches.get(worker);
      if (!batch) batches.set(worker, (batch = []));
      batch.push(pending);
    }
    for (const [worker, batch] of batches) {
      for (let i = 0; i < batch.length; i += 253) {
        const slice = batch.slice(i, i + 253);
        worker.channel.send(encodeConnections(slice), slice.map((p) => p.fd)).catch(() => this.#onWorkerGone(worker));
      }
      this.#armAckDeadline(worker);
    }
  }
}
