// The master's watch over its children: every interval it pings the helper
// and each worker on its control channel; one that has not answered when the
// next round starts (stopped, stuck in a loop, or its channel full) is
// reported once, and the master kills and replaces it.

/** One process the supervisor pings. */
export interface PingTarget {
  /** Resolves when the process answered; rejects when its channel failed. */
  ping(): Promise<unknown>;
  /** Called once when it did not answer in time (or its ping failed). */
  silent(): void;
}

export class PingSupervisor {
  readonly #intervalMs: number;
  readonly #targets: () => Iterable<PingTarget>;
  // The targets asked in the last round that have not answered yet.
  #waiting = new Set<PingTarget>();
  #timer: NodeJS.Timeout | null = null;

  constructor(intervalMs: number, targets: () => Iterable<PingTarget>) {
    this.#intervalMs = intervalMs;
    this.#targets = targets;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#round(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#waiting.clear();
  }

  #round(): void {
    const late = this.#waiting;
    this.#waiting = new Set();
    for (const target of late) target.silent();
    for (const target of this.#targets()) {
      if (late.has(target)) continue;
      this.#waiting.add(target);
      target.ping().then(
        () => this.#waiting.delete(target),
        () => {
          if (this.#waiting.delete(target)) target.silent();
        },
      );
    }
  }
}
