// The helpers and TLS gates a reload replaced: each still serves the
// sessions it served before (their data channels, their TLS state) and is
// ended when the last of them ends. Privileged side (the master's
// bookkeeping).

export class RetiredProcesses<P> {
  readonly #sessions = new Map<P, Set<number>>();
  readonly #end: (process: P) => void;

  /** `end` stops a retired process whose last session ended. */
  constructor(end: (process: P) => void) {
    this.#end = end;
  }

  /** Keeps `process` for the sessions `sids`; ends it at once when there are none. */
  retire(process: P, sids: Iterable<number>): void {
    const left = new Set(sids);
    if (left.size === 0) this.#end(process);
    else this.#sessions.set(process, left);
  }

  has(process: P | undefined): boolean {
    return process !== undefined && this.#sessions.has(process);
  }

  /** Session `sid`, which `process` served, ended. */
  sessionEnded(process: P | undefined, sid: number): void {
    const left = process === undefined ? undefined : this.#sessions.get(process);
    if (!left?.delete(sid) || left.size > 0) return;
    this.#sessions.delete(process!);
    this.#end(process!);
  }

  /** A retired process that exited: the sessions it still served. */
  exited(process: P): number[] {
    const left = this.#sessions.get(process);
    this.#sessions.delete(process);
    return [...(left ?? [])];
  }

  /** Every retired process still running. */
  all(): P[] {
    return [...this.#sessions.keys()];
  }
}
