// The spare workers the master keeps (spare_workers): each is taken by one
// login of an identity that has no worker yet, and never by a second one; a
// new spare is started after each one taken, off the login path, and in
// place of one that died.
import type { SpareWorker } from './spare-worker.js';

// A spare that fails to start, or dies unassigned, is replaced at most this often.
const RESTART_MS = 1000;
// A new spare starts this long after one is taken: the login that took it
// (the drop, the hand-over, a few ms) goes first.
const REFILL_DELAY_MS = 50;

export class SparePool {
  readonly #size: number;
  readonly #start: () => SpareWorker;
  readonly #spares = new Set<SpareWorker>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  /** Keeps `size` spares, each made by `start` (which may throw). */
  constructor(size: number, start: () => SpareWorker) {
    this.#size = size;
    this.#start = start;
  }

  /** pids of the spares waiting now. */
  get pids(): number[] {
    return [...this.#spares].map((s) => s.pid);
  }

  /** Starts spares up to the pool's size. */
  fill(): void {
    if (this.#stopped) return;
    while (this.#spares.size < this.#size) {
      let spare: SpareWorker;
      try {
        spare = this.#start();
      } catch (err) {
        console.error(`miniftp: cannot start a spare worker (${(err as Error).message}); trying again`);
        this.#fillIn(RESTART_MS);
        return;
      }
      this.#spares.add(spare);
      void spare.exited.then(() => {
        // Died unassigned: its place is filled again, not at once (no tight loop of spares that cannot start).
        if (this.#spares.delete(spare)) this.#fillIn(RESTART_MS);
      });
    }
  }

  /** A spare for a login, out of the pool for good (null: none left). */
  take(): SpareWorker | null {
    const spare = this.#spares.values().next().value ?? null;
    if (!spare) return null;
    this.#spares.delete(spare);
    this.#fillIn(REFILL_DELAY_MS);
    return spare;
  }

  /** Ends the spares waiting and starts no more; resolves once they have exited. */
  stop(): Promise<unknown> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const exits = [...this.#spares].map((spare) => {
      spare.stop();
      return spare.exited;
    });
    this.#spares.clear();
    return Promise.all(exits);
  }

  #fillIn(ms: number): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.fill();
    }, ms);
    this.#timer.unref();
  }
}
