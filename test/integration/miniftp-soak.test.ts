// A short soak of a real miniftp: hundreds of sessions (a local user and
// anonymous in turn, each a login and a small passive download), then a
// forced collection in every process. Each process's retained memory (heap
// and external) and rss must come back to within a small bound of where they
// were after a warm-up round, and its open fds exactly. A closed data channel that stayed
// reachable cost the helper and the user workers 256 KiB each.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abandonedLogin, processKey, requestStats, runSessions } from '../../bench/soak-client.mjs';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';

const WARMUP_SESSIONS = 100;
const SESSIONS = 400;
const CONCURRENCY = 12;
const FILE_BYTES = 4096;
// Retained memory: the heap without compiled code (which grows while the JIT
// warms up), plus external memory. The bound is wide enough for the noise of
// a collected heap, and well below what a leaked data channel per session
// (about 6 KiB in the helper) adds up to.
const RETAINED_BOUND = 768 * 1024;
const RSS_BOUND = 12 * 1024 * 1024;

interface Stats {
  role: string;
  pid: number;
  user?: string;
  sessions?: number;
  approved?: number;
  gc?: boolean;
  heapUsed: number;
  code: number;
  external: number;
  rss: number;
  fds: number;
}

describe.skipIf(!requireRoot('miniftp soak'))('miniftp soak', () => {
  let server: RunningMiniftp;
  let alice: TestUser;
  let logins: Array<{ user: string; password: string; file: string; bytes: number }>;

  beforeAll(async () => {
    alice = createUser('mfs', 'soak-secret');
    server = await startMiniftp({
      anonymous_enable: 'YES', anon_root: path.join(alice.home, 'pub'), max_per_ip: 0,
    }, { nodeFlags: ['--expose-gc'] });
    fs.mkdirSync(path.join(alice.home, 'pub'), { mode: 0o755 });
    for (const dir of [alice.home, path.join(alice.home, 'pub')]) fs.writeFileSync(path.join(dir, 'small.bin'), Buffer.alloc(FILE_BYTES, 7), { mode: 0o644 });
    logins = [
      { user: alice.name, password: 'soak-secret', file: 'small.bin', bytes: FILE_BYTES },
      { user: 'anonymous', password: 'soak@', file: 'small.bin', bytes: FILE_BYTES },
    ];
  });

  afterAll(async () => {
    await server?.stop();
    alice?.remove();
  });

  const retained = (s: Stats): number => s.heapUsed - s.code + s.external;

  async function stats(): Promise<Stats[]> {
    return (await requestStats(server.pid, server.output)) as Stats[];
  }

  // The report once every session has ended and every process is back to
  // `fdsOf`, or (without it) its fds are the same as in the report before:
  // the fds of a closed session go a moment after its QUIT.
  async function settledStats(fdsOf?: Map<string, number>): Promise<Stats[]> {
    const deadline = Date.now() + 15_000;
    let previous: Map<string, number> | null = null;
    for (;;) {
      const report = await stats();
      const fds = new Map(report.map((s) => [processKey(s), s.fds]));
      const ended = report.find((s) => s.role === 'master')?.sessions === 0;
      const expected = fdsOf ?? previous;
      const fdsBack = expected !== null && report.every((s) => expected.get(processKey(s)) === s.fds);
      if ((ended && fdsBack) || Date.now() > deadline) return report;
      previous = fds;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function sessions(count: number): Promise<void> {
    const result = await runSessions({ port: server.port, logins, count, concurrency: CONCURRENCY, deadline: Date.now() + 40_000 });
    expect(result.firstErrors).toEqual([]);
    expect(result.done).toBe(count);
  }

  it(`${SESSIONS} sessions leave every process's heap, rss and fds where a warm-up left them`, { timeout: 90_000 }, async () => {
    await sessions(WARMUP_SESSIONS);
    const before = await settledStats();
    expect(before.map((s) => processKey(s)).sort()).toEqual(['helper', 'master', 'prelogin', `user:${alice.name}`, 'user:anonymous'].sort());
    for (const s of before) expect(s, `${processKey(s)} collected before answering`).toMatchObject({ gc: true });

    await sessions(SESSIONS);
    const after = await settledStats(new Map(before.map((s) => [processKey(s), s.fds])));

    const growth = after.map((end) => {
      const start = before.find((s) => processKey(s) === processKey(end));
      return {
        process: processKey(end),
        samePid: start?.pid === end.pid,
        fds: start ? end.fds - start.fds : null,
        retained: start ? retained(end) - retained(start) : null,
        rss: start ? end.rss - start.rss : null,
      };
    });
    console.log(`growth over ${SESSIONS} sessions:\n${growth.map((g) => JSON.stringify(g)).join('\n')}`);
    for (const g of growth) {
      const what = `${g.process}: ${JSON.stringify(g)}`;
      expect(g.samePid, what).toBe(true);
      expect(g.fds, what).toBe(0);
      expect(g.retained!, what).toBeLessThan(RETAINED_BOUND);
      expect(g.rss!, what).toBeLessThan(RSS_BOUND);
    }
  });

  it('logins the client walks away from, at any moment, leave no session record in the master', { timeout: 60_000 }, async () => {
    // Resets at once, after the login was approved, during the hand-over, after it.
    const abandon = (round: number): Promise<void[]> =>
      Promise.all(logins.flatMap((login) => [0, 1, 5, 20, 60].map((waitMs) => abandonedLogin(server.port, login, waitMs + round))));
    // Warm-up: libuv keeps one fd in reserve from a process's first socket on.
    await sessions(10);
    await abandon(0);
    const before = await settledStats();
    const fdsOf = new Map(before.map((s) => [processKey(s), s.fds]));
    for (let round = 1; round <= 10; round++) await abandon(round);
    const after = await settledStats(fdsOf);
    const master = after.find((s) => s.role === 'master')!;
    expect(master).toMatchObject({ sessions: 0, approved: 0 });
    for (const s of after) expect(s.fds, processKey(s)).toBe(fdsOf.get(processKey(s)));
  });
});
