// Downloader: one RETR into a sparse copy, from a first byte on, as the copy
// sees it: where it has got to, and how to stop it. FileCache runs them.

export class Downloader {
  /** The first byte it asked for (REST). */
  readonly start: number;
  /** The next byte it will store. */
  position: number;
  /** When a read last waited for it (FileCache's clock): the one least recently useful is stopped first. */
  lastUseful: number;
  /** Stopped on purpose (bytes already held reached, a read elsewhere needed its place, nobody reads): not a failure. */
  stopped = false;
  readonly #abort = new AbortController();
  /** Settles when the transfer has ended and will write no more into the copy. */
  done: Promise<void> = Promise.resolve();

  constructor(start: number, now: number) {
    this.start = start;
    this.position = start;
    this.lastUseful = now;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  stop(): void {
    this.stopped = true;
    this.#abort.abort();
  }
}
