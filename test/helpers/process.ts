// Child-process fixtures: run a test script with extra fds, collect its
// output, and make sure nothing outlives the test.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixture(name: string): string {
  return path.join(fixturesDir, name);
}

export interface RunningChild {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/** Starts `node script args` with `extraFds` at fd 3, 4, ... of the child. */
export function startNode(script: string, args: string[] = [], extraFds: number[] = [], env: NodeJS.ProcessEnv = {}): RunningChild {
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe', ...extraFds];
  const child = spawn(process.execPath, [script, ...args], { stdio, env: { ...process.env, ...env } });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Kills every child started here that is still running. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** The number of open fds of this process. */
export function openFdCount(pid: number | 'self' = 'self'): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Whether `pid` is a live process (not gone, not a zombie waiting for its parent). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const isRoot = process.getuid?.() === 0;
