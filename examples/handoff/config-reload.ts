// handoffd's SIGHUP: the options are read again (the --config file and the
// same command line) and a new generation of workers starts with them; the
// old workers drain. The listeners whose address did not change stay open;
// a file that cannot be used, or a port that cannot be bound, keeps
// everything as it was and says why. Listeners systemd passed stay as they
// are. One reload at a time.
import type { HandoffMaster } from 'privsep';
import { parseOptions, type HandoffdOptions } from './options.js';
import { serving, type Serving } from './serving.js';

// The options by the names the file and the command line give them.
const NAMES: ReadonlyArray<[keyof HandoffdOptions, string]> = [
  ['host', 'host'], ['port', 'port'], ['tlsPort', 'tls-port'], ['workers', 'workers'], ['user', 'user'],
  ['policy', 'policy'], ['cert', 'cert'], ['key', 'key'], ['stateDir', 'state-dir'],
];

/** The names of the options whose values differ. */
export function changedOptions(old: HandoffdOptions, next: HandoffdOptions): string[] {
  return NAMES.filter(([field]) => old[field] !== next[field]).map(([, name]) => name);
}

/**
 * Reads the options from `argv` again and gives `master` a new generation
 * with them; resolves to the line it logged. `current` is what the master
 * serves with now; it is replaced (and its fds closed) by a good reload.
 */
export class HandoffdReloader {
  #current: Serving;
  readonly #master: HandoffMaster;
  readonly #argv: string[];
  readonly #fromSystemd: boolean;
  #running: Promise<unknown> = Promise.resolve();

  /** `fromSystemd`: the listeners are the socket unit's, whose addresses the options do not change. */
  constructor(master: HandoffMaster, argv: string[], current: Serving, fromSystemd = false) {
    this.#master = master;
    this.#argv = argv;
    this.#current = current;
    this.#fromSystemd = fromSystemd;
  }

  reload(): Promise<string> {
    const run = this.#running.then(() => this.#reloadOnce());
    this.#running = run.catch(() => {});
    return run;
  }

  async #reloadOnce(): Promise<string> {
    let next: Serving;
    try {
      const options = parseOptions(this.#argv);
      if (typeof options === 'string') throw new Error('no options');
      next = await serving(options);
    } catch (err) {
      const line = `handoffd: configuration not changed, the old settings stay: ${(err as Error).message}`;
      console.error(line);
      return line;
    }
    const old = this.#current;
    const changed = changedOptions(old.options, next.options);
    let moved = changed.some((name) => name === 'host' || name === 'port' || name === 'tls-port');
    if (moved && this.#fromSystemd) {
      console.error('handoffd: the listeners are systemd\'s: host, port and tls-port are the socket units\', and stay');
      moved = false;
    }
    const generation = Math.max(0, ...this.#master.workers().map((w) => w.generation));
    try {
      await this.#master.reload({ worker: next.worker, workers: next.options.workers, policy: next.options.policy, ...(moved ? { listen: next.listen } : {}) });
    } catch (err) {
      // A new generation that started but was not ready in time goes on starting with the new settings.
      const started = this.#master.workers().some((w) => w.generation > generation);
      if (started) this.#current = next;
      (started ? old : next).close();
      const line = started
        ? `handoffd: reloaded, but the new workers are not ready: ${(err as Error).message}`
        : `handoffd: configuration not changed, the old settings stay: ${(err as Error).message}`;
      console.error(line);
      return line;
    }
    this.#current = next;
    old.close();
    const [plain, tls] = this.#master.acceptor.sockets;
    const line = `handoffd: reloaded (${changed.length === 0 ? 'no option changed' : `changed: ${changed.join(', ')}`}); ` +
      `listening on ${plain!.host}:${plain!.port} and ${tls!.host}:${tls!.port}; ` +
      `workers ${this.#master.workers().filter((w) => !w.draining).map((w) => w.pid).join(', ')}`;
    console.log(line);
    return line;
  }
}
