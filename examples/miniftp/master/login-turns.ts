// Password checks take their turns by client address, at most as many at
// once as libuv has pool threads to run them: the next free thread goes to
// the address with the fewest checks running (the earliest waiting among
// equals). One address with many connections checking wrong passwords waits
// behind itself, and a login from another address gets the next free
// thread, not the end of the queue. Privileged side (the master).

type Job = () => void;

export class LoginTurns {
  readonly #limit: number;
  #running = 0;
  /** Checks running, by client address. */
  readonly #runningBy = new Map<string, number>();
  /** Waiting jobs by client address, addresses in the order they began to wait. */
  readonly #waiting = new Map<string, Job[]>();

  /** `limit` checks at once (default: the size of libuv's thread pool). */
  constructor(limit = Number(process.env.UV_THREADPOOL_SIZE) || 4) {
    this.#limit = limit;
  }

  /** Checks waiting, all addresses together. */
  get waiting(): number {
    let count = 0;
    for (const jobs of this.#waiting.values()) count += jobs.length;
    return count;
  }

  /** Runs `check` when `client`'s turn comes; settles as it does. */
  run<T>(client: string, check: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = () => {
        this.#running++;
        this.#runningBy.set(client, (this.#runningBy.get(client) ?? 0) + 1);
        let result: Promise<T>;
        try {
          result = check();
        } catch (err) {
          result = Promise.reject(err);
        }
        result.then(resolve, reject).finally(() => {
          this.#running--;
          const left = this.#runningBy.get(client)! - 1;
          if (left === 0) this.#runningBy.delete(client);
          else this.#runningBy.set(client, left);
          this.#next();
        });
      };
      const queue = this.#waiting.get(client);
      if (queue) queue.push(job);
      else this.#waiting.set(client, [job]);
      this.#next();
    });
  }

  #next(): void {
    while (this.#running < this.#limit && this.#waiting.size > 0) {
      let chosen: string | null = null;
      let fewest = Infinity;
      for (const client of this.#waiting.keys()) {
        const running = this.#runningBy.get(client) ?? 0;
        if (running < fewest) [chosen, fewest] = [client, running];
        if (running === 0) break;
      }
      const jobs = this.#waiting.get(chosen!)!;
      const job = jobs.shift()!;
      // Its next check waits behind the addresses waiting now.
      this.#waiting.delete(chosen!);
      if (jobs.length > 0) this.#waiting.set(chosen!, jobs);
      job();
    }
  }
}
