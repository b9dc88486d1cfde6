// One open data connection: a raw socket fd (what sendfile needs) that can
// become a net.Socket (for listings, ASCII mode and uploads), with one
// close path for both. Runs in a worker.
import type net from 'node:net';
import { setTcpNoDelay, type FdHandle } from 'privsep';

// How long a finished download waits for the client to take the last bytes.
const LINGER_MS = 10_000;

/** A data connection handed over by the helper, owned by one transfer. */
export class DataConnection {
  #fd: FdHandle | null;
  #socket: net.Socket | null = null;

  constructor(fd: FdHandle) {
    this.#fd = fd;
    try {
      // The last partial segment of a transfer must not wait for the client's delayed ACK (Nagle).
      setTcpNoDelay(fd.fd);
    } catch {
      // Not TCP (a test's socketpair): no Nagle to switch off.
    }
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
