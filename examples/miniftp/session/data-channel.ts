// The data connection strategies of one session: passive (PASV/EPSV) and
// active (PORT/EPRT), set up by one command and used by the next transfer,
// with accept_timeout and connect_timeout. Runs in a worker; the sockets
// themselves come from the DataConnector.
import { abortError } from 'privsep';
import type { DataConnector } from './session-host.js';
import { DataConnection } from './data-connection.js';

type Mode = { kind: 'passive'; port: number } | { kind: 'active'; host: string; port: number };

/** Why a data connection could not be opened. */
export class DataConnectionError extends Error {
  readonly code = 'ERR_MINIFTP_DATA_CONNECTION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataConnectionError';
  }
}

/** The session's data connection setup, as the last PORT/PASV/EPRT/EPSV left it. */
export class DataChannel {
  readonly #connector: DataConnector | null;
  readonly #timeouts: { accept: number; connect: number };
  #mode: Mode | null = null;

  /**
   * @param connector null before login: every setup then fails
   * @param timeouts seconds; 0 waits without limit
   */
  constructor(connector: DataConnector | null, timeouts: { accept: number; connect: number }) {
    this.#connector = connector;
    this.#timeouts = timeouts;
  }

  /** A PORT/PASV/EPRT/EPSV was given and not yet used. */
  get configured(): boolean {
    return this.#mode !== null;
  }

  /**
   * Passive mode: has the helper listen; resolves to the port to announce.
   * @throws whatever the connector's pasvListen throws (EADDRINUSE when the port range is full)
   */
  async passive(): Promise<number> {
    await this.release();
    if (!this.#connector) throw new DataConnectionError('no data connections here');
    const { port } = await this.#connector.pasvListen();
    this.#mode = { kind: 'passive', port };
    return port;
  }

  /** Active mode: the next transfer connects to host:port (already checked by the caller). */
  async active(host: string, port: number): Promise<void> {
    await this.release();
    this.#mode = { kind: 'active', host, port };
  }

  /**
   * Opens the data connection for a transfer.
   * @throws DataConnectionError (ERR_MINIFTP_DATA_CONNECTION) when there is no
   *   setup, on timeout, or when the connector fails; AbortError when `signal` aborts
   */
  async open(signal: AbortSignal): Promise<DataConnection> {
    const mode = this.#mode;
    const connector = this.#connector;
    if (!mode || !connector) throw new DataConnectionError('no PORT or PASV first');
    const seconds = mode.kind === 'passive' ? this.#timeouts.accept : this.#timeouts.connect;
    const limit = new AbortController();
    const onAbort = (): void => limit.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = seconds > 0 ? setTimeout(() => limit.abort(new DataConnectionError(`no data connection within ${seconds} s`)), seconds * 1000) : null;
    try {
      const fd = mode.kind === 'passive'
        ? await connector.pasvAccept(limit.signal)
        : await connector.portConnect(mode.host, mode.port, limit.signal);
      return new DataConnection(fd);
    } catch (err) {
      if (signal.aborted) throw abortError();
      throw err instanceof DataConnectionError ? err : new DataConnectionError(`cannot open the data connection: ${(err as Error).message}`, { cause: err });
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Forgets the setup after a transfer (each transfer needs its own), closing a passive listener. */
  async release(): Promise<void> {
    const mode = this.#mode;
    this.#mode = null;
    if (mode?.kind === 'passive') await this.#connector?.pasvClose().catch(() => {});
  }
}
