// One connection through the TLS gate: the client's TLS socket on one side,
// the plaintext end of a socketpair on the other, bytes pumped both ways
// with back-pressure. A close_notify (or FIN) from the client ends the
// plaintext side's writing (the two told apart on data connections under
// strict_ssl_read_eof or debug_ssl: close-notify-watch.ts); the worker
// closing its end sends close_notify to the client. Either side failing
// ends both. A data connection first reports its handshake on the
// plaintext end (DataGateStatus). Runs in the gate.
import type net from 'node:net';
import tls from 'node:tls';
import type { FdHandle } from 'privsep';
import { clientCertAccepted, type ClientCertRule } from './client-cert.js';
import { CloseNotifyWatch } from './close-notify-watch.js';
import { dataSeal } from './data-seal.js';
import { plainToTls } from './plain-to-tls.js';
import { DataGateStatus } from './protocols.js';
import type { SessionResumption } from './session-resumption.js';

// A client that connects and does not finish its handshake is dropped after this.
const HANDSHAKE_TIMEOUT_MS = 30_000;

/** What kind of connection a pump carries. */
export type PumpKind =
  | { kind: 'control' }
  /**
   * requireReuse: the handshake must resume a session of this TLS session's own (the control connection's).
   * strictEof (strict_ssl_read_eof): the client's data is sealed when it ends with close_notify (data-seal.ts).
   */
  | { kind: 'data'; requireReuse: boolean; strictEof: boolean };

/** Pumps one TLS connection; `done` resolves when the sockets are closed. */
export class TlsPump {
  readonly done: Promise<void>;
  readonly #tls: tls.TLSSocket;
  readonly #plain: net.Socket;

  /**
   * Takes both fds: `raw`, the client's connection (server side of TLS),
   * and `plain`, the gate's end of the socketpair whose other end the worker gets.
   */
  /** @param debug debug_ssl: told of each handshake, as a line of text; null to say nothing */
  constructor(raw: FdHandle, plain: FdHandle, resumption: SessionResumption, kind: PumpKind, certs: ClientCertRule, debug: ((line: string) => void) | null = null) {
    const socket = raw.toSocket({ allowHalfOpen: true });
    // The worker's bytes wait in the TLS socket until the handshake is done.
    const plainSocket = plainToTls(plain, () => this.#tls);
    const options: tls.TLSSocketOptions = { isServer: true, secureContext: resumption.context, server: resumption.server, requestCert: certs.required };
    // Telling close_notify from a bare FIN costs a copy through JS: only data connections that need it.
    const watched = kind.kind === 'data' && (kind.strictEof || debug !== null);
    const tlsSocket = watched ? new CloseNotifyWatch(socket, options) : new tls.TLSSocket(socket, options);
    this.#plain = plainSocket;
    this.#tls = tlsSocket;
    tlsSocket.allowHalfOpen = true;
    const handshake = setTimeout(() => tlsSocket.destroy(), HANDSHAKE_TIMEOUT_MS);
    const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => s.once('close', () => resolve()));
    this.done = Promise.all([closed(tlsSocket), closed(plainSocket), closed(socket)]).then(() => clearTimeout(handshake));
    const destroyAll = (): void => {
      tlsSocket.destroy();
      plainSocket.destroy();
      socket.destroy();
    };
    let secured = false;
    tlsSocket.on('error', (err: Error) => {
      if (!secured) debug?.(`${kind.kind} handshake failed: ${err.message}`);
      destroyAll();
    });
    plainSocket.on('error', destroyAll);
    socket.on('error', destroyAll);
    // Once one side is closed for good, nothing more can flow the other way.
    tlsSocket.once('close', () => plainSocket.end());
    plainSocket.once('close', () => tlsSocket.end());
    tlsSocket.once('secure', () => {
      clearTimeout(handshake);
      secured = true;
      const peer = tlsSocket.getPeerX509Certificate();
      debug?.(`${kind.kind} ${tlsSocket.getProtocol()} ${tlsSocket.getCipher().name}, ${tlsSocket.isSessionReused() ? 'resumed' : 'new session'}, client certificate ${peer ? JSON.stringify(peer.subject) : 'none'}`);
      if (!clientCertAccepted(peer, certs)) {
        debug?.(`${kind.kind} refused: ${peer ? 'the client certificate is not one ca_certs_file vouches for' : 'no client certificate'}`);
        destroyAll();
        return;
      }
      if (kind.kind === 'data') {
        if (kind.requireReuse && !tlsSocket.isSessionReused()) {
          debug?.('data refused: it did not resume the control connection\'s session');
          plainSocket.end(Buffer.of(DataGateStatus.notResumed));
          tlsSocket.destroy();
          return;
        }
        plainSocket.write(Buffer.of(kind.strictEof ? DataGateStatus.readySealed : DataGateStatus.ready));
      }
      // A socket that has ended both ways closes itself (autoDestroy).
      if (tlsSocket instanceof CloseNotifyWatch) pipeWatched(tlsSocket, plainSocket, kind.kind === 'data' && kind.strictEof, debug);
      else tlsSocket.pipe(plainSocket);
    });
  }

  /** Ends the connection at once. */
  destroy(): void {
    this.#tls.destroy();
    this.#plain.destroy();
  }
}

// The client's data to the worker, ended (when TLS ends) with a seal under
// strict_ssl_read_eof if it ended with close_notify; a bare FIN is told to debug_ssl.
function pipeWatched(tlsSocket: CloseNotifyWatch, plainSocket: net.Socket, seal: boolean, debug: ((line: string) => void) | null): void {
  let count = 0;
  tlsSocket.on('data', (chunk: Buffer) => (count += chunk.length));
  tlsSocket.pipe(plainSocket, { end: false });
  tlsSocket.once('end', () => {
    if (tlsSocket.cutShort) debug?.(`data connection terminated without SSL shutdown (a FIN without close_notify)${seal ? ': an upload fails (strict_ssl_read_eof)' : ''}`);
    if (seal && !tlsSocket.cutShort) plainSocket.end(dataSeal(count));
    else plainSocket.end();
  });
}
