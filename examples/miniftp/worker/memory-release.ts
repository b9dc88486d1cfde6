// When a user worker gives memory back (releaseMemory: V8's low-memory
// collection and a malloc trim, a few ms of CPU): a second after a session
// starts or ends, with none starting or ending since. A worker per identity
// mostly waits, and each login and logout leaves garbage behind; V8's own
// memory reducer gets a heap there too, but only after several seconds, and
// leaves the freed malloc pages mapped.
import { releaseMemory } from 'privsep';

const AFTER_SESSIONS_MS = 1000;

export class MemoryRelease {
  #timer: NodeJS.Timeout | null = null;

  /** A session started or ended. */
  sessionsChanged(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      releaseMemory();
    }, AFTER_SESSIONS_MS);
    this.#timer.unref();
  }
}
