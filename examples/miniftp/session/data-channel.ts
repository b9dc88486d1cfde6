// The data connection strategies of one session: passive (PASV/EPSV) and
// active (PORT/EPRT), set up by one command and used by the next transfer.
// Runs in a worker; the sockets themselves come from the DataConnector,
// which holds the listener and the connecting socket and so enforces
// accept_timeout and connect_timeout.
import { abortError, type FdHandle } from 'privsep';
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
  #mode: Mode | null = null;
  // The connector holds a passive listener that no connection has taken yet.
  #listening = false;

  /** @param connector null before login: every setup then fails */
  constructor(connector: DataConnector | null) {
    this.#connector = connector;
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
    if (!this.#connector) throw new DataConnectionError('no data connections here');
    // pasvListen replaces a listener left by an earlier PASV: no pasvClose first.
    this.#mode = null;
    this.#listening = false;
    const { port } = await this.#connector.pasvListen();
    this.#mode = { kind: 'passive', port };
    this.#listening = true;
    return port;
  }

  /** Active mode: the next transfer connects to host:port (already checked by the caller). */
  async active(host: string, port: number): Promise<void> {
    await this.release();
    this.#mode = { kind: 'active', host, port };
  }

  /**
   * Opens the data connection for a transfer.
   * With `protect` (PROT P), the socket goes through it (to the TLS gate)
   * and the connection is its plaintext end.
   * @throws DataConnectionError (ERR_MINIFTP_DATA_CONNECTION) when there is no
   *   setup, or when the connector fails (its timeouts included); AbortError
   *   when `signal` aborts
   */
  async open(signal: AbortSignal, protect?: (raw: FdHandle) => Promise<FdHandle>): Promise<DataConnection> {
    const mode = this.#mode;
    const connector = this.#connector;
    if (!mode || !connector) throw new DataConnectionError('no PORT or PASV first');
    try {
      let fd: FdHandle;
      if (mode.kind === 'passive') {
        fd = await connector.pasvAccept(signal);
        // The connection taken ended the listening.
        this.#listening = false;
      } else {
        fd = await connector.portConnect(mode.host, mode.port, signal);
      }
      return protect ? new DataConnection(await protect(fd), true) : new DataConnection(fd);
    } catch (err) {
      if (signal.aborted) throw abortError();
      throw new DataConnectionError(`cannot open the data connection: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Forgets the setup after a transfer (each transfer needs its own), closing a passive listener that took no connection. */
  async release(): Promise<void> {
    this.#mode = null;
    if (!this.#listening) return;
    this.#listening = false;
    await this.#connector?.pasvClose().catch(() => {});
  }
}
