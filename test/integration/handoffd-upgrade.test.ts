// handoffd upgrades itself (SIGUSR2) without losing a request: HTTP clients
// connect over and over across two upgrades; a keep-alive connection opened
// before an upgrade goes on with the old worker; each old master exits once
// its workers have; a new generation that fails leaves the old one serving.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startHandoffd } from '../helpers/handoffd.js';
import { isAlive, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';
import { lacksTools } from '../helpers/tools.js';


describe.skipIf(!requireRoot('handoffd upgrades') || lacksTools('handoffd upgrades', 'openssl'))('handoffd upgrades', () => {
  const dirs: Array<{ path: string; remove: () => void }> = [];
  const generations = new Set<number>();
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const pid of generations) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => ![...generations].some(isAlive), 15_000, 'every generation to exit').catch(() => {
      for (const pid of generations) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) dir.remove();
  });

  async function start(): Promise<{ pid: number; port: number; stateDir: string; output: () => string }> {
    const stateDir = scratchDir('handoffd-upgrade-');
    dirs.push(stateDir);
    const { child, plainPort, output } = await startHandoffd(['--port', '0', '--tls-port', '0', '--state-dir', stateDir.path, '--workers', '2']);
    children.push(child);
    generations.add(child.pid!);
    return { pid: child.pid!, port: plainPort, stateDir: stateDir.path, output };
  }

  async function successorOf(output: () => string, pid: number): Promise<number> {
    const pattern = new RegExp(`handoffd: pid (\\d+) took the listeners from pid ${pid}\\b`);
    await waitFor(() => pattern.test(output()), 60_000, `a new generation to take the listeners from ${pid}`);
    const next = Number(pattern.exec(output())![1]);
    generations.add(next);
    return next;
  }

  function get(port: number, agent: http.Agent | false = false): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    });
  }

  const workerOf = (body: string): number => Number(/pid=(\d+)/.exec(body)?.[1]);

  it('answers every request across two upgrades; connections already open stay with the old workers', async () => {
    const server = await start();
    let stop = false;
    const answered: number[] = [];
    const failures: string[] = [];
    const deadline = Date.now() + 120_000;
    const lane = async (): Promise<void> => {
      while (!stop && Date.now() < deadline && answered.length + failures.length < 5000) {
        await get(server.port).then(
          (body) => (/^handoffd worker pid=\d+/.test(body) ? answered.push(Date.now()) : failures.push(`body ${body}`)),
          (err: Error & { code?: string }) => failures.push(err.code ?? err.message),
        );
      }
    };
    const loop = Promise.all([lane(), lane()]);
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const oldWorker = workerOf(await get(server.port, keepAlive));

    process.kill(server.pid, 'SIGUSR2');
    const gen1 = await successorOf(server.output, server.pid);
    // The connection opened before the upgrade is still the old worker's.
    expect(workerOf(await get(server.port, keepAlive))).toBe(oldWorker);
    const newWorker = workerOf(await get(server.port));
    expect(newWorker).not.toBe(oldWorker);
    keepAlive.destroy();
    await waitFor(() => !isAlive(server.pid), 30_000, 'the first master to exit');

    process.kill(gen1, 'SIGUSR2');
    const gen2 = await successorOf(server.output, gen1);
    const since = Date.now();
    await waitFor(() => !isAlive(gen1), 30_000, 'the second master to exit');
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await loop;
    expect(failures).toEqual([]);
    expect(answered.filter((t) => t > since).length).toBeGreaterThan(0);
    expect(answered.length).toBeGreaterThan(20);
    expect(server.output()).toContain(`pid ${server.pid}: the last worker of this generation has exited`);
    expect(isAlive(gen2)).toBe(true);
    expect(await get(server.port)).toMatch(/^handoffd worker pid=\d+/);
  });

  it('a new generation that fails at start leaves the old one serving, and a later upgrade works', async () => {
    const server = await start();
    // The new generation finds a file where its state directory should be, and exits (status 2, as any start error).
    const moved = `${server.stateDir}.aside`;
    dirs.push({ path: moved, remove: () => fs.rmSync(moved, { recursive: true, force: true }) });
    fs.renameSync(server.stateDir, moved);
    fs.writeFileSync(server.stateDir, 'not a directory');
    process.kill(server.pid, 'SIGUSR2');
    await waitFor(() => /upgrade failed, this generation goes on serving: the new generation \(pid \d+\) did not take the listeners: exited with code 2/.test(server.output()), 60_000, 'the upgrade to fail');
    expect(await get(server.port)).toMatch(/^handoffd worker pid=\d+/);
    expect(isAlive(server.pid)).toBe(true);

    fs.rmSync(server.stateDir);
    fs.renameSync(moved, server.stateDir);
    process.kill(server.pid, 'SIGUSR2');
    await successorOf(server.output, server.pid);
    await waitFor(() => !isAlive(server.pid), 30_000, 'the old master to exit');
    expect(await get(server.port)).toMatch(/^handoffd worker pid=\d+/);
  });
});
