// Starting one hand-off worker process with its credentials, a clean
// environment, no_new_privs, a session of its own (no controlling terminal),
// the master's Channel at fd 3, stdin from /dev/null, and stdout/stderr into
// a socket the master reads line by line.
import type net from 'node:net';
import { socketPair } from '../fd/socketpair.js';
import { spawnWithCredentials, type ExitStatus } from '../privilege/spawn-with-credentials.js';

/** What a worker's environment holds unless `WorkerCommand.env` names something else. */
export const DEFAULT_WORKER_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: '/usr/bin:/bin' });

/** Longest line of worker output passed on in one piece; longer ones arrive in pieces of this size. */
export const MAX_OUTPUT_LINE = 4096;

export interface WorkerCommand {
  /** The program (default: this Node binary). */
  file?: string;
  args: string[];
  /**
   * The worker's whole environment (default DEFAULT_WORKER_ENV: PATH only).
   * Nothing of the master's environment is passed on unless named here.
   */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Run the worker as this uid and gid (supplementary groups are dropped). */
  uid?: number;
  gid?: number;
  /** More fds for the worker, at 4, 5, ... in this order (e.g. a TLS key the worker may not open itself). */
  fds?: number[];
}

export interface LaunchedWorker {
  pid: number;
  exited: Promise<ExitStatus>;
  /** Signals the worker through its pidfd (never a process that reused the pid). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Spawns a worker with `channelFd` as its fd 3 and `command.fds` after it,
 * no_new_privs set, and each line it writes to stdout or stderr passed to
 * `onOutput`. @throws EACCES, ENOENT, EPERM (with `syscall`)
 */
export function launchWorker(command: WorkerCommand, channelFd: number, onOutput: (line: string) => void): LaunchedWorker {
  const fds: Record<number, number | { fd: number } | 'ignore'> = { 0: 'ignore', 3: channelFd };
  (command.fds ?? []).forEach((fd, i) => (fds[4 + i] = fd));
  const [outputMine, outputTheirs] = socketPair();
  fds[1] = outputTheirs;
  fds[2] = outputTheirs;
  let child;
  try {
    child = spawnWithCredentials(command.file ?? process.execPath, command.args, {
      env: command.env ?? DEFAULT_WORKER_ENV,
      cwd: command.cwd,
      uid: command.uid,
      gid: command.gid,
      noNewPrivs: true,
      // A session of its own: no controlling terminal it could open as /dev/tty and type into (TIOCSTI).
      setsid: true,
      fds,
    });
  } catch (err) {
    outputMine.close();
    throw err;
  } finally {
    outputTheirs.close();
  }
  readLines(outputMine.toSocket({ writable: false }), onOutput);
  child.exited.catch(() => {});
  return {
    pid: child.pid,
    exited: child.exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}

// Splits what the worker writes into lines of at most MAX_OUTPUT_LINE
// characters, so that a worker that never writes a newline costs bounded memory.
function readLines(socket: net.Socket, onLine: (line: string) => void): void {
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    partial += text;
    let newline: number;
    while ((newline = partial.indexOf('\n')) >= 0 || partial.length >= MAX_OUTPUT_LINE) {
      const end = newline >= 0 && newline < MAX_OUTPUT_LINE ? newline : MAX_OUTPUT_LINE;
      onLine(partial.slice(0, end));
      partial = partial.slice(end === newline ? end + 1 : end);
    }
  });
  socket.on('end', () => {
    if (partial.length > 0) onLine(partial);
    partial = '';
  });
  socket.on('error', () => {});
}
