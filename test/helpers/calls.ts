// Runs test/fixtures/privilege-calls.cjs (optionally as another user): the
// calls' outcomes come back as JSON, and the process stays alive until
// finish(), so that its /proc entries can be read.
import { spawn, type ChildProcess } from 'node:child_process';
import { fixture } from './process.js';

export interface CallOutcome {
  ok: boolean;
  value?: unknown;
  code?: string;
  syscall?: string;
  message?: string;
}

export interface CallsRun {
  pid: number;
  results: CallOutcome[];
  /** Lets the fixture exit and waits for it. */
  finish(): Promise<void>;
}

const live = new Set<ChildProcess>();

export type Call = [string, ...unknown[]];

/** Starts the fixture with `calls` and resolves once it has printed their outcomes. */
export function runCalls(calls: Call[], as: { uid: number; gid: number } | null = null): Promise<CallsRun> {
  const child = spawn(process.execPath, [fixture('privilege-calls.cjs'), JSON.stringify(calls)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(as ?? {}),
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.on('close', () => {
    live.delete(child);
    resolve();
  }));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`privilege-calls fixture timed out; stderr: ${err}`));
    }, 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        results: JSON.parse(out.slice(0, newline)) as CallOutcome[],
        finish: async () => {
          child.stdin!.end();
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(kill);
        },
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!out.includes('\n')) reject(new Error(`privilege-calls fixture exited with ${code}; stderr: ${err}`));
    });
  });
}

/** Kills every fixture still running. */
export function killCalls(): void {
  for (const child of live) child.kill('SIGKILL');
}
