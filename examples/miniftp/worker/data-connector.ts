// A session's DataConnector in a worker: every data socket comes from the
// nobody helper over the session's own broker channel. The worker itself can
// open no network connection (it runs in an empty network namespace). The
// helper enforces accept_timeout and connect_timeout; a helper that stops
// answering is replaced by the master's pings, which fails calls in flight.
import { BrokerClient, abortError, type Broker, type FdHandle } from 'privsep';
import { dataProtocol } from '../helper/protocols.js';
import type { DataConnector } from '../session/index.js';

// pasvAccept asks in slices this long, so that an ABOR is never stuck
// behind a long accept in the helper (which answers one request at a time).
const ACCEPT_SLICE_MS = 500;

export class HelperDataConnector implements DataConnector {
  #channel: FdHandle;
  #broker: Promise<Broker<typeof dataProtocol.requests>> | null = null;
  #closed = false;

  /** Takes `channel` (the session's data channel); the hello waits for the first data command. */
  constructor(channel: FdHandle) {
    this.#channel = channel;
  }

  #connect(): Promise<Broker<typeof dataProtocol.requests>> {
    this.#broker ??= BrokerClient.connect(this.#channel, dataProtocol);
    return this.#broker;
  }

  async pasvListen(): Promise<{ port: number }> {
    return { port: await (await this.#connect()).pasvListen() };
  }

  async pasvAccept(signal: AbortSignal): Promise<FdHandle> {
    const broker = await this.#connect();
    for (;;) {
      if (signal.aborted) throw abortError();
      try {
        return await broker.pasvAccept(ACCEPT_SLICE_MS);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      }
    }
  }

  /** An ABOR does not wait for the helper's connect: the connection, if it comes later, is closed. */
  async portConnect(address: string, port: number, signal: AbortSignal): Promise<FdHandle> {
    const broker = await this.#connect();
    if (signal.aborted) throw abortError();
    const connecting = broker.portConnect(address, port);
    let onAbort: () => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([connecting, aborted]);
    } catch (err) {
      void connecting.then((fd) => fd.close(), () => {});
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
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
