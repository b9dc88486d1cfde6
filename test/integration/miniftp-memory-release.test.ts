// A user worker gives memory back once it is idle: after a session that
// listed a large directory has ended, the worker's V8 heap (its stats) falls
// back by more than the young generation it grew, with another session of
// the same user still open, so that the worker stays. (The worker collects a
// second after the session's end; V8's own memory reducer would get there
// some seconds later.)
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStats } from '../../bench/soak-client.mjs';
import { RawClient, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';

const PASSWORD = 'release-secret';
const FILES = 4000;

interface Stats {
  role: string;
  user?: string;
  heapTotal: number;
}

describe.skipIf(!requireRoot('miniftp memory release'))('miniftp user workers give memory back when idle', () => {
  let server: RunningMiniftp;
  let user: TestUser;
  let held: RawClient | null = null;

  beforeAll(async () => {
    user = createUser('mrl', PASSWORD);
    fs.mkdirSync(path.join(user.home, 'many'));
    for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(user.home, 'many', `file-with-a-longer-name-${i}.txt`), '');
    fs.chmodSync(path.join(user.home, 'many'), 0o755);
    server = await startMiniftp({});
  });

  afterAll(async () => {
    held?.destroy();
    await server?.stop();
    user?.remove();
  });

  const workerHeap = async (): Promise<number> => {
    const report = (await requestStats(server.pid, server.output)) as Stats[];
    const worker = report.find((s) => s.role === 'user' && s.user === user.name);
    expect(worker, JSON.stringify(report)).toBeDefined();
    return worker!.heapTotal;
  };

  it('the heap a large listing grew shrinks back within seconds of the session\'s end', { timeout: 40_000 }, async () => {
    held = await RawClient.connect(server.port);
    await held.replies(1);
    expect((await held.command(`USER ${user.name}`)).code).toBe(331);
    expect((await held.command(`PASS ${PASSWORD}`)).code).toBe(230);
    const [, loggedIn, listed] = await ftplibSteps(server.port, { user: user.name, password: PASSWORD, steps: [{ op: 'list', verb: 'NLST', arg: 'many' }] }) as Array<{ reply: string; text?: string }>;
    expect(loggedIn!.reply).toMatch(/^230 /);
    expect(listed!.text!.split('\r\n').filter(Boolean)).toHaveLength(FILES);
    const grown = await workerHeap();
    let heap = grown;
    for (const end = Date.now() + 20_000; heap > grown - 1024 * 1024 && Date.now() < end;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      heap = await workerHeap();
    }
    console.log(`user worker heap after the listing: ${(grown / 2 ** 20).toFixed(2)} MiB, then ${(heap / 2 ** 20).toFixed(2)} MiB`);
    expect(heap).toBeLessThan(grown - 1024 * 1024);
    // The session held open still works.
    expect((await held.command('PWD')).text).toContain(user.home);
  });
});
