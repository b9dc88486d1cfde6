// A session's DataConnector in a worker: every data socket comes from the
// nobody helper over the session's own broker channel. The worker itself can
// open no network connection (it runs in an empty network namespace).
import { BrokerClient, abortError, type Broker, type FdHandle } from 'privsep';
import { dataProtocol } from '../helper/protocols.js';
import type { DataConnector } from '../session/index.js';

// pasvAccept asks in slices this long, so that an ABOR is never stuck
// behind a long accept in the helper (which answers one request at a time).
const ACCEPT_SLICE_MS = 500;

export class HelperDataConnector implements DataConnector {
  #channel: FdHandle;
  readonly #acceptTimeoutMs: number;
  #broker: Promise<Broker<typeof dataProtocol.requests>> | null = null;
  #closed = false;

  /** Takes `channel` (the session's data channel); the hello waits for the first data command. */
  constructor(channel: FdHandle, acceptTimeoutMs: number) {
    this.#channel = channel;
    this.#acceptTimeoutMs = acceptTimeoutMs;
  }

  #connect(): Promise<Broker<typeof dataProtocol.requests>> {
    this.#broker ??= BrokerClient.connect(this.#channel, dataProtocol, { timeout: 120_000 });
    return this.#broker;
  }

  async pasvListen(): Promise<{ port: number }> {
    return { port: await (await this.#connect()).pasvListen() };
  }

  async pasvAccept(signal: AbortSignal): Promise<FdHandle> {
    const broker = await this.#connect();
    const deadline = Date.now() + this.#acceptTimeoutMs;
    for (;;) {
      if (signal.aborted) throw abortError();
      try {
        return await broker.pasvAccept(Math.min(ACCEPT_SLICE_MS, Math.max(1, deadline - Date.now())));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ETIMEDOUT' || Date.now() >= deadline) throw err;
      }
    }
  }

  async portConnect(address: string, port: number, signal: AbortSignal): Promise<FdHandle> {
    const broker = await this.#connect();
    if (signal.aborted) throw abortError();
    return broker.portConnect(address, port);
  }

  async pasvClose(): Promise<void> {
    if (this.#broker) await (await this.#broker).pasvClose();
  }

  /**
   * Takes a new data channel (to a new helper) in place of the old one,
   * which is closed: a request in flight on it fails, the next goes to the
   * new helper.
   */
  replaceChannel(channel: FdHandle): void {
    if (this.#closed) {
      channel.close();
      return;
    }
    this.#closeChannel();
    this.#channel = channel;
    this.#broker = null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeChannel();
  }

  #closeChannel(): void {
    if (this.#broker) void this.#broker.then((b) => b.close(), () => {});
    else this.#channel.close();
  }
}

/** The pre-login phase has no data connections. */
export const noDataConnections: DataConnector = {
  pasvListen: () => Promise.reject(Object.assign(new Error('not logged in'), { code: 'EACCES' })),
  pasvAccept: () => Promise.reject(Object.assign(new Error('not logged in'), { code: 'EACCES' })),
  portConnect: () => Promise.reject(Object.assign(new Error('not logged in'), { code: 'EACCES' })),
  pasvClose: () => Promise.resolve(),
};
