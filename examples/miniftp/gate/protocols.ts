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
     * A control connection to serve TLS on (its server side; the handshake
     * follows); answers the plaintext end, on which the worker goes on. The
     * gate pumps until either side closes (close_notify both ways).
     */
    wrapControl: { id: 2, args: ['fd'], reply: ['result', 'fd'] },
    /** Are you there? A gate that does not answer within the master's deadline is replaced. */
    ping: { id: 3, args: [], reply: ['result'] },
    /** The gate's memory (HeapStats as JSON), after a full collection when it runs with --expose-gc. */
    stats: { id: 4, args: [], reply: ['result', 'buf'] },
  },
});
