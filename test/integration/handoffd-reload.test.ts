// handoffd --config: SIGHUP reads the file again. A new worker count and
// user take effect with the new workers; a file with an error keeps the old
// settings and says which line; a new tls-port is bound and the old one
// closed while the plain port stays. The master stays the same process.
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants, freePort } from '../helpers/ftp-servers.js';
import { createUser, type TestUser } from '../helpers/miniftp-server.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { scratchDir } from '../helpers/scratch.js';
import { lacksTools } from '../helpers/tools.js';
import { isRefused } from '../helpers/connect.js';
import { startHandoffd } from '../helpers/handoffd.js';

const run = promisify(execFile);

describe.skipIf(!requireRoot('handoffd reload') || lacksTools('handoffd reload', 'openssl', 'curl'))('handoffd reload (SIGHUP with --config)', () => {
  const dir = scratchDir('handoffd-reload-');
  let child: ChildProcess;
  let stopHandoffd: (() => Promise<void>) | undefined;
  let output = (): string => '';
  let configFile: string;
  let plainPort = 0;
  let tlsPort = 0;
  let user: TestUser;
  const settings: Record<string, string | number> = { host: '127.0.0.1', port: 0, 'tls-port': 0, workers: 2, user: 'nobody' };

  const get = async (url: string): Promise<string> => (await run('curl', ['-sSk', '--max-time', '10', url])).stdout;

  // Writes the file (with `extra` lines after the settings), sends SIGHUP, and returns the reload's line.
  async function reload(extra = ''): Promise<string> {
    fs.writeFileSync(configFile, `# handoffd test\n${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n')}\n${extra}`);
    const seen = output().length;
    child.kill('SIGHUP');
    const line = (): string | undefined => /handoffd: (reloaded|configuration not changed)[^\n]*\n/.exec(output().slice(seen))?.[0];
    await waitFor(() => line() !== undefined, 30_000, 'the reload\'s line');
    return line()!;
  }

  const liveWorkers = (line: string): number[] => (/workers ([\d, ]+)$/.exec(line.trim())?.[1] ?? '').split(', ').map(Number);

  beforeAll(async () => {
    user = createUser('hdrl', 'unused-password');
    configFile = path.join(dir.path, 'handoffd.conf');
    fs.writeFileSync(configFile, Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n'));
    const started = await startHandoffd(['--config', configFile, '--state-dir', dir.path]);
    ({ child, plainPort, tlsPort, output, stop: stopHandoffd } = started);
  });

  afterAll(async () => {
    await stopHandoffd?.();
    user?.remove();
    dir.remove();
  });

  it('a new worker count and user: new workers, the same master and ports', async () => {
    const before = descendants(child.pid!);
    expect(before).toHaveLength(2);
    settings.workers = 3;
    settings.user = user.name;
    const line = await reload();
    expect(line).toMatch(/reloaded \(changed: workers, user\); listening on 127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+; workers \d+, \d+, \d+$/m);
    expect(line).toContain(`127.0.0.1:${plainPort} and 127.0.0.1:${tlsPort}`);
    const workers = liveWorkers(line);
    for (const pid of before) expect(workers).not.toContain(pid);
    // The old workers drain and exit (and are reaped): the master's children are the new ones.
    const expected = JSON.stringify([...workers].sort());
    await waitFor(() => JSON.stringify(descendants(child.pid!).sort()) === expected, 20_000, 'the old workers to drain and exit');
    expect(await get(`http://127.0.0.1:${plainPort}/`)).toMatch(new RegExp(`^handoffd worker pid=(${workers.join('|')}) uid=${user.uid} http`));
    expect(await get(`https://127.0.0.1:${tlsPort}/`)).toMatch(new RegExp(`uid=${user.uid} https`));
    expect(child.exitCode).toBeNull();
  });

  it('a file with an error keeps the old settings and workers, and names the file and line', async () => {
    const workers = descendants(child.pid!).sort();
    const line = await reload('workers=lots\n');
    const lineNumber = Object.keys(settings).length + 2;
    expect(line).toContain(`handoffd: configuration not changed, the old settings stay: ${configFile}:${lineNumber}: workers needs a whole number from 1 to 256, not "lots"`);
    expect(descendants(child.pid!).sort()).toEqual(workers);
    expect(await get(`http://127.0.0.1:${plainPort}/`)).toMatch(new RegExp(`uid=${user.uid} http`));
  });

  it('a new tls-port is bound and the old one closed; the plain port stays', async () => {
    const newTls = await freePort();
    settings['tls-port'] = newTls;
    const line = await reload();
    expect(line).toContain(`reloaded (changed: tls-port); listening on 127.0.0.1:${plainPort} and 127.0.0.1:${newTls}`);
    expect(await get(`https://127.0.0.1:${newTls}/`)).toMatch(/https for 127\.0\.0\.1/);
    expect(await get(`http://127.0.0.1:${plainPort}/`)).toMatch(/http for 127\.0\.0\.1/);
    expect(await isRefused(tlsPort)).toBe(true);
  });
});
