// What lets a data connection resume its control connection's TLS session,
// and only that one: a TLS context of the session's own (its own ticket
// keys, for TLS 1.3 and for TLS 1.2 clients that use tickets) and a
// session-id cache of its own (for TLS 1.2 clients that resume by id, as
// curl does), which node:tls reaches through a tls.Server's newSession and
// resumeSession events: a server object that never listens. Runs in the gate.
import tls from 'node:tls';

// A session's data connections that resume add no ids; full handshakes that
// did not resume (refused under require_ssl_reuse) may: keep the first few.
const MAX_IDS = 16;

export class SessionResumption {
  readonly context: tls.SecureContext;
  readonly server: tls.Server;
  readonly #ids = new Map<string, Buffer>();

  constructor(context: tls.SecureContext) {
    this.context = context;
    this.server = new tls.Server();
    this.server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      if (this.#ids.size < MAX_IDS) this.#ids.set(id.toString('hex'), data);
      done();
    });
    this.server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.#ids.get(id.toString('hex')) ?? null);
    });
  }
}
