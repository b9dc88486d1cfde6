// Starting one hand-off worker process with its credentials and the
// master's Channel at fd 3.
import { spawn } from 'node:child_process';

export interface WorkerCommand {
  /** The program (default: this Node binary). */
  file?: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run the worker as this uid and gid (supplementary groups are dropped). */
  uid?: number;
  gid?: number;
  /** More fds for the worker, at 4, 5, ... in this order (e.g. a TLS key the worker may not open itself). */
  fds?: number[];
}

export interface LaunchedWorker {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Spawns a worker with `channelFd` as its fd 3 and `command.fds` after it. @throws EACCES, ENOENT, EPERM */
export function launchWorker(command: WorkerCommand, channelFd: number): LaunchedWorker {
  const child = spawn(command.file ?? process.execPath, command.args, {
    stdio: ['ignore', 'inherit', 'inherit', channelFd, ...(command.fds ?? [])],
    env: command.env ?? process.env,
    cwd: command.cwd,
    uid: command.uid,
    gid: command.gid,
  });
  if (child.pid === undefined) throw new Error(`cannot start worker ${command.file ?? process.execPath}`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.on('error', () => {});
  return {
    pid: child.pid,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
