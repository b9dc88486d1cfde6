// One connection through the TLS gate: the client's TLS socket on one side,
// the plaintext end of a socketpair on the other, bytes pumped both ways
// with back-pressure. A close_notify (or FIN) from the client ends the
// plaintext side's writing; the worker closing its end sends close_notify
// to the client. Either side failing ends both. Runs in the gate.
import type net from 'node:net';
import tls from 'node:tls';
import type { FdHandle } from 'privsep';

// A client that connects and does not finish its handshake is dropped after this.
const HANDSHAKE_TIMEOUT_MS = 30_000;

/** Pumps one TLS connection; `done` resolves when both sockets are closed. */
export class TlsPump {
  readonly done: Promise<void>;
  readonly #tls: tls.TLSSocket;
  readonly #plain: net.Socket;

  /**
   * Takes both fds: `raw`, the client's connection (server side of TLS),
   * and `plain`, the gate's end of the socketpair whose other end the worker gets.
   */
  constructor(raw: FdHandle, plain: FdHandle, context: tls.SecureContext) {
    const socket = raw.toSocket({ allowHalfOpen: true });
    this.#plain = plain.toSocket({ allowHalfOpen: true });
    this.#tls = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
    this.#tls.allowHalfOpen = true;
    const handshake = setTimeout(() => this.#tls.destroy(), HANDSHAKE_TIMEOUT_MS);
    this.#tls.once('secure', () => clearTimeout(handshake));
    const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => s.once('close', () => resolve()));
    this.done = Promise.all([closed(this.#tls), closed(this.#plain), closed(socket)]).then(() => clearTimeout(handshake));
    const destroyBoth = (): void => {
      this.#tls.destroy();
      this.#plain.destroy();
      socket.destroy();
    };
    this.#tls.on('error', destroyBoth);
    this.#plain.on('error', destroyBoth);
    socket.on('error', destroyBoth);
    // Once one side is closed for good, nothing more can flow the other way.
    this.#tls.once('close', () => this.#plain.end());
    this.#plain.once('close', () => this.#tls.end());
    this.#tls.pipe(this.#plain);
    this.#plain.pipe(this.#tls);
    // A socket that has ended both ways closes itself (autoDestroy).
  }

  /** Ends the connection at once (the gate is shutting down). */
  destroy(): void {
    this.#tls.destroy();
    this.#plain.destroy();
  }
}
