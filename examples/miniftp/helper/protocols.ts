// The broker tables of miniftp's nobody helper: what the master may tell it
// (once per helper, then once per session) and what a worker may ask it on a
// session's data channel. Both sides derive their types from these.
import { defineProtocol } from 'privsep';

/** master -> helper, on the helper's fd 3. */
export const helperControlProtocol = defineProtocol({
  name: 'miniftp-helper-control',
  version: 2,
  requests: {
    /** The settings the helper needs, as JSON (HelperSettings); first and only once (again: EALREADY, sessions unharmed). */
    configure: { id: 1, args: ['buf'], reply: ['result'] },
    /**
     * A logged-in session: its data channel, as JSON (SessionAddresses) where
     * its client is, and its id (a channel opened again for the same id
     * replaces the one before).
     */
    openSession: { id: 2, args: ['fd', 'buf', 'int'], reply: ['result'] },
    /** Are you there? A helper that does not answer within the master's deadline is replaced. */
    ping: { id: 3, args: [], reply: ['result'] },
    /** The helper's memory (HeapStats as JSON), after a full collection when it runs with --expose-gc. */
    stats: { id: 4, args: [], reply: ['result', 'buf'] },
    /**
     * The session has ended: its data channel and listener close, whatever
     * its worker does with its end. An id the helper does not have: nothing.
     */
    closeSession: { id: 5, args: ['int'], reply: ['result'] },
  },
});

/** worker -> helper, one channel per session. */
export const dataProtocol = defineProtocol({
  name: 'miniftp-data',
  version: 1,
  requests: {
    /** Listens for a passive data connection; answers the port. */
    pasvListen: { id: 1, args: [], reply: ['result', 'int'] },
    /**
     * Accepts the client's passive data connection, waiting at most the
     * given ms: EAGAIN when none came meanwhile (ask again), ETIMEDOUT once
     * accept_timeout has passed since pasvListen.
     */
    pasvAccept: { id: 2, args: ['int'], reply: ['result', 'fd'] },
    /** Connects to the client for an active data connection (address as text, port). */
    portConnect: { id: 3, args: ['buf', 'int'], reply: ['result', 'fd'] },
    /** Stops listening for a passive connection. */
    pasvClose: { id: 4, args: [], reply: ['result'] },
  },
});

/** Where a session's client is, as the master saw it when it accepted the control connection. */
export interface SessionAddresses {
  clientAddress: string;
  /** The server's own address on the control connection: data sockets use it too. */
  localAddress: string;
}
