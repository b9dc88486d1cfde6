// How a miniftp worker starts and what it keeps: it runs its bundle
// compiled from the build's code cache (no V8 flag on its command line, which
// would make V8 refuse it), and it caps its young generation at run time, so
// that a busy worker's stays at V8's 1 MiB start and does not grow towards
// V8's 16 MiB ceiling.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStats } from '../../bench/soak-client.mjs';
import { RawClient, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';

const PASSWORD = 'start-secret';
const FILES = 4000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const builtCache = fs.existsSync(path.join(root, 'dist', 'bundles', 'miniftp-worker-main.code-cache'));

interface Stats {
  role: string;
  user?: string;
  youngGeneration: number;
  codeCache?: string;
}

describe.skipIf(!requireRoot('miniftp worker start'))('miniftp workers', () => {
  let server: RunningMiniftp;
  let user: TestUser;
  let held: RawClient | null = null;

  beforeAll(async () => {
    user = createUser('mws', PASSWORD);
    fs.mkdirSync(path.join(user.home, 'many'));
    for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(user.home, 'many', `a-file-with-a-longer-name-${i}.txt`), '');
    fs.chmodSync(path.join(user.home, 'many'), 0o755);
    server = await startMiniftp({});
    // A session held open: the user's worker stays while the others come and go.
    held = await RawClient.connect(server.port);
    await held.replies(1);
    expect((await held.command(`USER ${user.name}`)).code).toBe(331);
    expect((await held.command(`PASS ${PASSWORD}`)).code).toBe(230);
  });

  afterAll(async () => {
    held?.destroy();
    await server?.stop();
    user?.remove();
  });

  const report = async (): Promise<Stats[]> => (await requestStats(server.pid, server.output)) as Stats[];
  const userWorker = (stats: Stats[]): Stats => {
    const worker = stats.find((s) => s.role === 'user' && s.user === user.name);
    expect(worker, JSON.stringify(stats)).toBeDefined();
    return worker!;
  };

  it('run their bundle compiled from the build\'s code cache', async () => {
    if (!builtCache) {
      console.log('skipping the code cache check: the build made no worker bundle (no esbuild)');
      return;
    }
    const stats = await report();
    expect(userWorker(stats).codeCache).toBe('accepted');
    expect(stats.find((s) => s.role === 'prelogin')?.codeCache).toBe('accepted');
  });

  it('keep their young generation at its start through large listings', { timeout: 60_000 }, async () => {
    const steps = Array.from({ length: 4 }, () => ({ op: 'list', verb: 'NLST', arg: 'many' }));
    const results = await ftplibSteps(server.port, { user: user.name, password: PASSWORD, steps }) as Array<{ reply?: string; text?: string }>;
    for (const listed of results.slice(2)) expect(listed.text!.split('\r\n').filter(Boolean)).toHaveLength(FILES);
    const young = userWorker(await report()).youngGeneration;
    console.log(`user worker young generation after ${steps.length} listings of ${FILES} names: ${(young / 2 ** 20).toFixed(2)} MiB`);
    expect(young).toBeLessThanOrEqual(2 * 2 ** 20);
    expect((await held!.command('PWD')).text).toContain(user.home);
  });
});
