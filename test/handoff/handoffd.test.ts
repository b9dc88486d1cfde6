// handoffd as root, with curl: workers run as nobody with a clean
// environment, no_new_privs and not dumpable, and a stopped worker costs no
// connection and is replaced.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { curl } from '../helpers/ftp-clients.js';
import { descendants } from '../helpers/ftp-servers.js';
import { readStatus } from '../helpers/proc-status.js';
import { killAll, startNode, waitFor, type RunningChild } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { lacksTools } from '../helpers/tools.js';
import { scratchDir } from '../helpers/scratch.js';

const handoffd = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'examples', 'handoff', 'handoffd.js');
const stateDir = scratchDir('handoffd-test-');
afterAll(() => {
  killAll();
  stateDir.remove();
});

interface Daemon {
  child: RunningChild;
  http: string;
  https: string;
  workers: () => number[];
}

async function startHandoffd(workers: number): Promise<Daemon> {
  const child = startNode(handoffd, ['--port', '0', '--tls-port', '0', '--workers', String(workers), '--state-dir', stateDir.path], [],
    { HANDOFFD_TEST_ROOT_ONLY: 'root secret' });
  await waitFor(() => child.stdout().includes('listening on') || child.child.exitCode !== null, 30_000, 'handoffd to listen');
  const match = /listening on (http:\S+) and (https:\S+),/.exec(child.stdout());
  if (!match) throw new Error(`handoffd did not start: ${child.stderr()}`);
  return { child, http: match[1]!, https: match[2]!, workers: () => descendants(child.child.pid!) };
}

async function stop(daemon: Daemon): Promise<void> {
  daemon.child.child.kill('SIGTERM');
  const kill = setTimeout(() => daemon.child.child.kill('SIGKILL'), 10_000);
  await daemon.child.exited;
  clearTimeout(kill);
}

const pidOf = (reply: string) => Number(/pid=(\d+)/.exec(reply)?.[1]);

describe.runIf(requireRoot('handoffd') && !lacksTools('handoffd', 'openssl', 'curl'))('handoffd', () => {
  it('serves HTTP and HTTPS from workers that see only PATH, have no_new_privs and are not dumpable', async () => {
    const daemon = await startHandoffd(2);
    try {
      expect((await curl([daemon.http])).stdout).toMatch(/^handoffd worker pid=\d+ uid=65534 http /);
      expect((await curl(['-k', daemon.https])).stdout).toMatch(/^handoffd worker pid=\d+ uid=65534 https /);
      const workers = daemon.workers();
      expect(workers).toHaveLength(2);
      for (const pid of workers) {
        expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8')).toBe('PATH=/usr/bin:/bin\0');
        expect(readStatus(pid).NoNewPrivs).toBe('1');
        // /proc files of a process that is not dumpable belong to root, not to nobody.
        expect(fs.statSync(`/proc/${pid}/environ`).uid).toBe(0);
        expect(fs.readlinkSync(`/proc/${pid}/fd/0`)).toBe('/dev/null');
      }
    } finally {
      await stop(daemon);
    }
  });

  it('serves every connection while one worker is stopped, and replaces that worker', async () => {
    const daemon = await startHandoffd(3);
    try {
      const [victim] = daemon.workers();
      process.kill(victim!, 'SIGSTOP');
      const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => curl(i % 2 ? [daemon.http] : ['-k', daemon.https], 30_000)));
      const pids = replies.map((r) => pidOf(r.stdout));
      expect(pids.filter((pid) => !(pid > 0))).toEqual([]);
      expect(pids).not.toContain(victim);
      await waitFor(() => daemon.child.stderr().includes(`worker ${victim} stopped answering`), 15_000, 'the stopped worker to be noticed');
      await waitFor(() => !daemon.workers().includes(victim!) && daemon.workers().length === 3, 15_000, 'a replacement worker');
      expect((await curl([daemon.http])).stdout).toMatch(/^handoffd worker pid=\d+ uid=65534 http /);
    } finally {
      await stop(daemon);
    }
  });
});
