// The broker tables between miniftp's master and its workers. The monitor
// table is what a worker may ask the master (login checks and handing a
// session over are pre-login only); the control table is what the master
// tells a worker.
import { defineProtocol } from 'privsep';

/** worker -> master, on the worker's fd 3. */
export const monitorProtocol = defineProtocol({
  name: 'miniftp-monitor',
  version: 1,
  requests: {
    /** Checks USER/PASS for session `sid`; BAD with EACCES for a wrong password or unknown user. */
    login: { id: 1, args: ['int', 'buf', 'buf'], reply: ['result'], phase: 'prelogin' },
    /** After a good login: the control connection, the session state (JSON) and the bytes read but not handled. */
    handover: { id: 2, args: ['int', 'fd', 'buf', 'buf'], reply: ['result'], phase: 'prelogin' },
    /** The session ended in this worker. */
    sessionClosed: { id: 3, args: ['int'], reply: ['result'], phase: ['prelogin', 'postlogin'] },
    /** chown_uploads: gives session `sid`'s new upload (a regular file of the worker's anonymous user) to chown_username. */
    chownUpload: { id: 4, args: ['int', 'fd'], reply: ['result'], phase: 'postlogin' },
  },
});

/** master -> worker, on the worker's fd 4. */
export const controlProtocol = defineProtocol({
  name: 'miniftp-control',
  version: 1,
  requests: {
    /** A new connection for the pre-login worker: sid, control fd, addresses (JSON). */
    newSession: { id: 1, args: ['int', 'fd', 'buf'], reply: ['result'] },
    /** A logged-in session for a user worker: sid, control fd, data channel fd, state (JSON), unread bytes. */
    adoptSession: { id: 2, args: ['int', 'fd', 'fd', 'buf', 'buf'], reply: ['result'] },
    /** The worker's memory (HeapStats as JSON), after a full collection when it runs with --expose-gc. */
    stats: { id: 3, args: [], reply: ['result', 'buf'] },
  },
});

/** The identity a user worker runs as, decided by the master at login. */
export interface WorkerIdentity {
  user: string;
  uid: number;
  gid: number;
  groups: number[];
  /** chroot here before serving (null: no chroot). */
  chroot: string | null;
  /** The session's first directory, inside the chroot when there is one. */
  home: string;
  anonymous: boolean;
}
