// One open data connection: a raw socket fd (what sendfile needs) that can
// become a net.Socket (for listings, ASCII mode and uploads), with one
// close path for both. Runs in a worker.
import type net from 'node:net';
import { readNonBlocking, setNonBlocking, setTcpNoDelay, waitForFd, type FdHandle } from 'privsep';
import { DataGateStatus } from '../gate/protocols.js';

// How long a finished download waits for the client to take the last bytes.
const LINGER_MS = 10_000;

/** A PROT P data connection whose TLS handshake failed or did not resume the control connection's session. */
export class DataTlsError extends Error {
  readonly code = 'ERR_MINIFTP_DATA_TLS';
  /** The handshake succeeded without resuming the control connection's TLS session (require_ssl_reuse). */
  readonly notResumed: boolean;
  constructor(notResumed: boolean) {
    super(notResumed ? 'the data connection did not resume the control connection\'s TLS session' : 'the TLS handshake of the data connection failed');
    this.name = 'DataTlsError';
    this.notResumed = notResumed;
  }
}

/** A data connection handed over by the helper (or its plaintext end from the TLS gate), owned by one transfer. */
export class DataConnection {
  #fd: FdHandle | null;
  #gated: boolean;
  #sealed = false;
  #socket: net.Socket | null = null;

  /** `gated`: the plaintext end of the TLS gate's socketpair, which first carries the handshake's outcome. */
  constructor(fd: FdHandle, gated = false) {
    this.#fd = fd;
    this.#gated = gated;
    try {
      // The last partial segment of a transfer must not wait for the client's delayed ACK (Nagle).
      setTcpNoDelay(fd.fd);
    } catch {
      // Not TCP (a test's socketpair): no Nagle to switch off.
    }
  }

  /**
   * For a gated connection, waits for the client's TLS handshake (which
   * some clients start only after the 150) and reads the gate's one status
   * byte; nothing for a plain one.
   * @throws DataTlsError when the handshake failed or did not resume; AbortError when `signal` aborts
   */
  async tlsReady(signal: AbortSignal): Promise<void> {
    if (!this.#gated) return;
    const fd = this.#fd!;
    setNonBlocking(fd);
    const status = Buffer.alloc(1);
    for (;;) {
      const got = readNonBlocking(fd, status, 0, 1);
      if (got === null) {
        await waitForFd(fd, 'readable', { signal });
        continue;
      }
      this.#gated = false;
      if (got === 1 && status[0] === DataGateStatus.ready) return;
      if (got === 1 && status[0] === DataGateStatus.readySealed) {
        this.#sealed = true;
        return;
      }
      throw new DataTlsError(got === 1 && status[0] === DataGateStatus.notResumed);
    }
  }

  /**
   * strict_ssl_read_eof: what the client sends ends with the gate's seal
   * when it ended with close_notify (gate/data-seal.ts); an upload reads it
   * through {@link socket} and checks.
   */
  get sealed(): boolean {
    return this.#sealed;
  }

  /** The raw fd, for sendfile. @throws Error once {@link socket} has taken it */
  get fd(): number {
    if (!this.#fd) throw new Error('the data connection is a net.Socket now');
    return this.#fd.fd;
  }

  /** The connection as a net.Socket (made once; it owns the fd from then on). */
  socket(): net.Socket {
    if (!this.#socket) {
      this.#socket = this.#fd!.toSocket();
      this.#fd = null;
      // Errors surface through the transfer's reads and writes; this keeps a late one from being unhandled.
      this.#socket.on('error', () => {});
    }
    return this.#socket;
  }

  /**
   * Ends the connection in order: everything written reaches the client,
   * then FIN (the client reads to end of file). Resolves when closed.
   */
  async finish(): Promise<void> {
    if (this.#fd) {
      // close(2) on a TCP socket sends what is queued, then FIN.
      this.#fd.close();
      this.#fd = null;
      return;
    }
    const socket = this.#socket!;
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), LINGER_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end(() => socket.destroy());
    });
  }

  /**
   * Wakes whoever waits on the socket, by destroying it, when the transfer
   * stops. A raw fd is left alone: sendfile is still watching it and stops
   * on the transfer's signal, and the fd closes after that.
   */
  interrupt(): void {
    this.#socket?.destroy();
  }

  /** Drops the connection at once (a failed or aborted transfer). */
  destroy(): void {
    if (this.#fd) {
      this.#fd.close();
      this.#fd = null;
    }
    this.#socket?.destroy();
  }
}
