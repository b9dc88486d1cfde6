// Whether a client ended its TLS data with close_notify or cut it with a
// bare FIN (strict_ssl_read_eof, debug_ssl). Given a net.Socket, node:tls
// reads its fd in C++ and reports both as the same end of the stream; given
// a JS stream, it is fed by JS, which sees the transport's end arrive. A
// close_notify comes in bytes before the FIN, so the TLS socket has ended
// by the time the transport's end reaches it; a FIN alone ends it only
// then. Costs a copy through JS per chunk, so only data connections that
// need the answer use it. Runs in the gate.
import type net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';

/** `raw` as a JS stream, with back-pressure both ways; `onEnd` runs once its bytes were all taken, before the end goes on. */
export function transportOver(raw: net.Socket, onEnd: () => void): Duplex {
  const transport = new Duplex({
    allowHalfOpen: true,
    read: () => void raw.resume(),
    write: (chunk: Buffer, _encoding, done) => {
      if (raw.write(chunk)) done();
      else raw.once('drain', () => done());
    },
    final: (done) => void raw.end(() => done()),
    destroy: (err, done) => {
      raw.destroy();
      done(err);
    },
  });
  // Before node:tls's own listener (added by the TLSSocket made over it).
  transport.once('end', onEnd);
  raw.on('data', (chunk: Buffer) => {
    if (!transport.push(chunk)) raw.pause();
  });
  raw.once('end', () => transport.push(null));
  // The pump sees raw's errors; the transport only goes with it.
  raw.once('close', () => transport.destroy());
  return transport;
}

/** A server-side TLS socket over `raw` that knows how the client's data ended. */
export class CloseNotifyWatch extends tls.TLSSocket {
  #tlsEnded = false;
  #cut = false;

  constructor(raw: net.Socket, options: tls.TLSSocketOptions) {
    let self: CloseNotifyWatch | null = null;
    super(transportOver(raw, () => {
      if (self && !self.#tlsEnded) self.#cut = true;
    }), options);
    self = this;
  }

  /** Once the TLS socket has ended ('end'): whether the transport ended first, without a close_notify. */
  get cutShort(): boolean {
    return this.#cut;
  }

  // node:tls ends the readable side with push(null), at once when it reads close_notify.
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) this.#tlsEnded = true;
    return super.push(chunk, encoding);
  }
}
