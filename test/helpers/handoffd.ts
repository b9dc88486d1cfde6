// handoffd started by a test from this checkout's build: its ports and its output.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './process.js';

export const handoffdMain = path.resolve(import.meta.dirname, '..', '..', 'dist', 'examples', 'handoff', 'handoffd.js');

export interface StartedHandoffd {
  child: ChildProcess;
  plainPort: number;
  tlsPort: number;
  output: () => string;
  /** SIGTERM (handoffd drains its workers), then waits for the master to exit. */
  stop(): Promise<void>;
}

/** Spawns handoffd with `args` and waits until it listens. @throws Error with its output when it did not start */
export async function startHandoffd(args: string[]): Promise<StartedHandoffd> {
  const child = spawn(process.execPath, [handoffdMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitFor(() => /listening on/.test(output) || child.exitCode !== null, 30_000, 'handoffd to listen').catch(() => {});
  const match = /http:\/\/127\.0\.0\.1:(\d+) and https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  if (!match) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new Error(`handoffd did not start:\n${output}`);
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, plainPort: Number(match[1]), tlsPort: Number(match[2]), output: () => output, stop };
}
