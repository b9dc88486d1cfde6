// HAProxy (Debian's haproxy) in the foreground with a configuration written
// to a temporary directory, for tests of servers behind a load balancer;
// stopped by pid, its files removed. And free port ranges on both loopback
// addresses, for its frontends and the servers' passive ports.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { toolPath } from './tools.js';

export interface RunningHaproxy {
  output: () => string;
  stop(): Promise<void>;
}

async function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts haproxy -db with `config`; resolves once 127.0.0.1:`readyPort` takes connections. */
export async function startHaproxy(config: string, readyPort: number): Promise<RunningHaproxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-it-'));
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(file, config);
  const child: ChildProcess = spawn(toolPath('haproxy')!, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 15_000;
    while (!(await accepts(readyPort, '127.0.0.1'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { output: () => out, stop };
}

async function bindable(port: number, host: string): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive ports free on 127.0.0.1 and ::1 (a few random tries). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let port = first; port < first + count && free; port++) {
      free = (await bindable(port, '127.0.0.1')) && (await bindable(port, '::1'));
    }
    if (free) return first;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

