// The broker table of miniftp's TLS gate: what the master may tell it. The
// gate terminates TLS for connections the master sends it and answers the
// plaintext end of a socketpair, which then moves like any plain connection.
import { defineProtocol } from 'privsep';

/** master -> gate, on the gate's fd 3. */
export const gateControlProtocol = defineProtocol({
  name: 'miniftp-gate-control',
  version: 1,
  requests: {
    /** The certificate, key and TLS policy, as JSON (GateSettings); first and only once (again: EALREADY). */
    configure: { id: 1, args: ['buf'], reply: ['result'] },
    /**
     * Session `sid`'s control connection to serve TLS on (its server side;
     * the handshake follows); answers the plaintext end, on which the worker
     * goes on. The gate pumps until either side closes (close_notify both
     * ways). The session's TLS state (its own ticket keys) lives until
     * endSession. EEXIST: the session has one already.
     */
    wrapControl: { id: 2, args: ['fd', 'int'], reply: ['result', 'fd'] },
    /**
     * A PROT P data connection of session `sid`; answers the plaintext end
     * at once. The handshake comes later (some clients start it after the
     * 150): the gate then writes one DataGateStatus byte on the plaintext
     * end before any data. ESRCH: no TLS session `sid`.
     */
    wrapData: { id: 3, args: ['fd', 'int'], reply: ['result', 'fd'] },
    /** Session `sid` ended: its TLS state is forgotten. */
    endSession: { id: 4, args: ['int'], reply: ['result'] },
    /** Are you there? A gate that does not answer within the master's deadline is replaced. */
    ping: { id: 5, args: [], reply: ['result'] },
    /** The gate's memory (HeapStats as JSON), after a full collection when it runs with --expose-gc. */
    stats: { id: 6, args: [], reply: ['result', 'buf'] },
  },
});

/**
 * The first byte the gate writes on a data connection's plaintext end, once
 * the client's handshake is done. Anything else (end of file included): the
 * handshake failed.
 */
export const DataGateStatus = {
  /** TLS is up (resuming the control connection's session when require_ssl_reuse is set): data follows. */
  ready: 0x01,
  /** The handshake did not resume the control connection's TLS session (require_ssl_reuse): no transfer. */
  notResumed: 0x02,
  /**
   * As `ready`, under strict_ssl_read_eof: the client's data ends with a
   * seal when it ended with close_notify (data-seal.ts), without one when cut short.
   */
  readySealed: 0x03,
} as const;
