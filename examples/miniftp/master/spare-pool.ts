// The spare workers the master keeps (spare_workers): each is taken by one
// login of an identity that has no worker yet, and never by a second one.
// Two ways of replacing the spares taken:
// - while spares are left, once logins have paused, one at a time, in the
//   SCHED_IDLE class: starting a process holds the master for a few ms (the
//   fork, the wait for the exec) and then takes ~100 ms of CPU, which a burst
//   of new users' logins would otherwise wait behind;
// - when the pool has run dry, all at once and in the normal class: the next
//   new users would otherwise each start a worker from nothing.
// A spare that died unassigned is replaced as in the first way, and no spare
// starts within RESTART_MS of that death or of a start that failed, however
// the start is due (a spare that dies as it starts must not make the master
// fork in a loop). Where the
// master may not put a process back from SCHED_IDLE (no CAP_SYS_NICE, and an
// RLIMIT_NICE below 20: the unit file sets LimitNICE=0 for this), the first
// assignment that fails says so and every later spare starts in the normal
// class.
import type { SpareWorker } from './spare-worker.js';

// After a spare died unassigned or failed to start, the next starts this much later.
const RESTART_MS = 1000;
// Quiet replacements start once no spare has been taken for this long...
const QUIET_MS = 250;
// ...one this long after the other.
const QUIET_STEP_MS = 20;
// A dry pool is refilled this long after the login that took the last spare
// (its own hand-over goes first).
const DRY_REFILL_MS = 50;

/** Starts a spare, in the SCHED_IDLE class when `idle`; may throw. */
export type StartSpare = (idle: boolean) => SpareWorker;

export class SparePool {
  readonly #size: number;
  readonly #start: StartSpare;
  readonly #spares = new Set<SpareWorker>();
  #quietTimer: NodeJS.Timeout | null = null;
  #dryTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  #idleClass = true;
  // No spare starts before this (performance.now()).
  #restartAt = 0;

  /** Keeps `size` spares, each made by `start`. */
  constructor(size: number, start: StartSpare) {
    this.#size = size;
    this.#start = start;
  }

  /** pids of the spares waiting now. */
  get pids(): number[] {
    return [...this.#spares].map((s) => s.pid);
  }

  /** Starts spares up to the pool's size, all at once, in the normal class (the server's start, a reload). */
  fill(): void {
    while (this.#spares.size < this.#size && this.#startOne(false)) {
      // Next.
    }
  }

  /** A spare for a login, out of the pool for good (null: none left). */
  take(): SpareWorker | null {
    const spare = this.#spares.values().next().value ?? null;
    if (spare) this.#spares.delete(spare);
    if (this.#spares.size > 0) {
      this.#quietIn(QUIET_MS, true);
    } else if (!this.#dryTimer && !this.#stopped && this.#size > 0) {
      this.#dryTimer = setTimeout(() => {
        this.#dryTimer = null;
        this.fill();
      }, DRY_REFILL_MS);
      this.#dryTimer.unref();
    }
    return spare;
  }

  /** A spare could not leave SCHED_IDLE (`err`): no more spares start there. */
  noIdleClass(err: Error): void {
    if (!this.#idleClass) return;
    this.#idleClass = false;
    console.error(`miniftp: a spare worker cannot leave the SCHED_IDLE class (${err.message}); spares start in the normal class from now on (give the master CAP_SYS_NICE, or LimitNICE=0)`);
  }

  /** Ends the spares waiting and starts no more; resolves once they have exited. */
  stop(): Promise<unknown> {
    this.#stopped = true;
    if (this.#quietTimer) clearTimeout(this.#quietTimer);
    if (this.#dryTimer) clearTimeout(this.#dryTimer);
    const exits = [...this.#spares].map((spare) => {
      spare.stop();
      return spare.exited;
    });
    this.#spares.clear();
    return Promise.all(exits);
  }

  // Starts one spare; false when it did not (a start is then due later).
  #startOne(idle: boolean): boolean {
    if (this.#stopped) return false;
    const wait = this.#restartAt - performance.now();
    if (wait > 0) {
      this.#quietIn(wait, false);
      return false;
    }
    let spare: SpareWorker;
    try {
      spare = this.#start(idle && this.#idleClass);
    } catch (err) {
      console.error(`miniftp: cannot start a spare worker (${(err as Error).message}); trying again`);
      this.#backOff();
      return false;
    }
    this.#spares.add(spare);
    void spare.exited.then(() => {
      if (!this.#spares.delete(spare)) return;
      // Died unassigned: its channels' ends are closed here, and it is replaced later.
      spare.stop();
      this.#backOff();
    });
    return true;
  }

  #backOff(): void {
    this.#restartAt = performance.now() + RESTART_MS;
    this.#quietIn(RESTART_MS, false);
  }

  // A quiet replacement after `ms` (the next ones follow it), unless one is
  // due already; `postpone` moves a pending one back to `ms` from now.
  #quietIn(ms: number, postpone: boolean): void {
    if (this.#stopped) return;
    if (this.#quietTimer) {
      if (!postpone) return;
      clearTimeout(this.#quietTimer);
    }
    this.#quietTimer = setTimeout(() => {
      this.#quietTimer = null;
      if (this.#spares.size < this.#size && this.#startOne(true)) this.#quietIn(QUIET_STEP_MS, false);
    }, ms);
    this.#quietTimer.unref();
  }
}
