// FtpClientPool: a few logged-in FTP clients shared by many callers. FTP
// carries one transfer per control connection, so transfers get at most all
// connections but one: a long download never makes a directory listing
// wait. Unprivileged client code.
import { outOfRange } from 'privsep';
import { FtpClient, type FtpClientOptions } from './client.js';
import { FtpClosedError, abortError } from './errors.js';

/** What a caller does with a client: a file transfer, or short commands (listings included). */
export type PoolUse = 'transfer' | 'command';

export interface FtpClientPoolOptions extends FtpClientOptions {
  /** Control connections at most, made as needed. Default 4. */
  maxConnections?: number;
}

interface Waiter {
  use: PoolUse;
  resolve: (client: FtpClient) => void;
  reject: (err: Error) => void;
}

/**
 * Up to `maxConnections` FtpClients, made when first needed and reused;
 * each logs in again on its own when the server ends its session.
 */
export class FtpClientPool {
  readonly #options: FtpClientOptions;
  readonly #max: number;
  readonly #maxTransfers: number;
  readonly #all: FtpClient[] = [];
  readonly #idle: FtpClient[] = [];
  readonly #waiters: Waiter[] = [];
  #transfers = 0;
  #closed = false;

  /** @throws RangeError (ERR_OUT_OF_RANGE) for maxConnections; as FtpClient's constructor */
  constructor(options: FtpClientPoolOptions) {
    const { maxConnections = 4, ...clientOptions } = options;
    if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 64) {
      throw outOfRange('maxConnections', 'an integer >= 1 and <= 64', maxConnections);
    }
    // Checks the options now rather than at the first use.
    void new FtpClient(clientOptions);
    // What one client learns of the server's LIST, all of them use.
    this.#options = { ...clientOptions, listSupport: clientOptions.listSupport ?? {} };
    this.#max = maxConnections;
    this.#maxTransfers = Math.max(1, maxConnections - 1);
  }

  /** Connections made so far (open or to be reopened on use). */
  get size(): number {
    return this.#all.length;
  }

  /**
   * Runs `fn` with a client of its own, waiting for one when all are busy.
   * @throws whatever `fn` throws; FtpClosedError after close(); AbortError
   *   when `signal` aborts while waiting
   */
  async use<T>(use: PoolUse, fn: (client: FtpClient) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const client = await this.#acquire(use, signal);
    try {
      return await fn(client);
    } finally {
      this.#release(client, use);
    }
  }

  /**
   * Has the client the next transfer will take make its data connection
   * now (FtpClient.prepareDownload): a download is expected soon. Only an
   * idle, logged-in client, when a transfer could start at once.
   */
  prepareDownload(): void {
    if (this.#closed || this.#waiters.length > 0 || this.#transfers >= this.#maxTransfers) return;
    this.#idle[this.#idleIndex('transfer')]?.prepareDownload();
  }

  /** Closes every connection; waiting callers fail with FtpClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new FtpClosedError('the connection pool was closed'));
    await Promise.all(this.#all.map((client) => client.close()));
  }

  #available(use: PoolUse): boolean {
    if (use === 'transfer' && this.#transfers >= this.#maxTransfers) return false;
    return this.#idle.length > 0 || this.#all.length < this.#max;
  }

  #take(use: PoolUse): FtpClient {
    if (use === 'transfer') this.#transfers++;
    const idle = this.#idle.splice(this.#idleIndex(use), 1)[0];
    if (idle) return idle;
    const client = new FtpClient(this.#options);
    this.#all.push(client);
    return client;
  }

  /**
   * The idle client for `use`, most recently used first: a transfer takes
   * one with a data connection made ahead, a command leaves it (-1: none idle).
   */
  #idleIndex(use: PoolUse): number {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      if (this.#idle[i]!.downloadPrepared === (use === 'transfer')) return i;
    }
    return this.#idle.length - 1;
  }

  #acquire(use: PoolUse, signal?: AbortSignal): Promise<FtpClient> {
    if (this.#closed) return Promise.reject(new FtpClosedError('the connection pool was closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    // Callers waiting now could not be served when they came; a command
    // passes transfers that wait for a transfer slot, never another command.
    const ahead = this.#waiters.some((w) => w.use === use || use === 'transfer');
    if (!ahead && this.#available(use)) return Promise.resolve(this.#take(use));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(abortError(signal?.reason));
      };
      const waiter: Waiter = {
        use,
        resolve: (client) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(client);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #release(client: FtpClient, use: PoolUse): void {
    if (use === 'transfer') this.#transfers--;
    if (this.#closed) {
      void client.close();
      return;
    }
    this.#idle.push(client);
    // First come, first served, except that a command may pass a transfer
    // that has to wait for another transfer to end.
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i]!;
      if (!this.#available(waiter.use)) {
        i++;
        continue;
      }
      this.#waiters.splice(i, 1);
      waiter.resolve(this.#take(waiter.use));
    }
  }
}
