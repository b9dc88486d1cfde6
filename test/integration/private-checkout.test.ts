// The package run from a directory only root can reach (a clone under
// root's 0700 home, or in a mktemp -d directory): every process that ends up
// unprivileged loads its code as root first, so miniftp's helper and
// workers and handoffd's workers all start and serve.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passiveData, rawLogin } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { startNode, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';

const run = promisify(execFile);
const checkout = path.resolve(import.meta.dirname, '..', '..');

describe.skipIf(!requireRoot('a checkout only root can reach'))('a checkout only root can reach', () => {
  let parent: string;
  let copy: string;
  let user: TestUser;

  beforeAll(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-private-'));
    expect(fs.statSync(parent).mode & 0o777).toBe(0o700);
    copy = path.join(parent, 'privsep');
    fs.mkdirSync(path.join(copy, 'build', 'Release'), { recursive: true, mode: 0o755 });
    fs.cpSync(path.join(checkout, 'package.json'), path.join(copy, 'package.json'));
    fs.cpSync(path.join(checkout, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.cpSync(path.join(checkout, 'build', 'Release', 'privsep.node'), path.join(copy, 'build', 'Release', 'privsep.node'));
    user = createUser('mfpriv', 'private-secret');
    fs.writeFileSync(path.join(user.home, 'hello.txt'), 'from a private checkout\n');
  });

  afterAll(() => {
    user?.remove();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('miniftp: the helper, the pre-login worker and a user worker start; a login lists over a passive connection', async () => {
    const server = await startMiniftp({}, { main: path.join(copy, 'dist', 'examples', 'miniftp', 'main.js') });
    try {
      const client = await rawLogin(server.port, user.name, 'private-secret');
      const data = await passiveData(client);
      const listing = new Promise<string>((resolve) => {
        let text = '';
        data.on('data', (d: Buffer) => (text += d.toString()));
        data.on('end', () => resolve(text));
      });
      expect((await client.command('NLST')).code).toBe(150);
      expect(await listing).toContain('hello.txt');
      expect((await client.replies(1))[0]!.code).toBe(226);
      client.destroy();
      const { helper, workers } = server.processes();
      expect(helper).toHaveLength(1);
      expect(workers).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });

  it('handoffd: its workers start and serve', async (ctx) => {
    needTools(ctx, 'openssl', 'curl');
    const stateDir = path.join(parent, 'handoffd-state');
    const daemon = startNode(path.join(copy, 'dist', 'examples', 'handoff', 'handoffd.js'), ['--port', '0', '--tls-port', '0', '--workers', '2', '--state-dir', stateDir]);
    try {
      await waitFor(() => daemon.stdout().includes('listening on') || daemon.child.exitCode !== null, 30_000, 'handoffd to listen');
      const url = /listening on (http:\S+) and/.exec(daemon.stdout())?.[1];
      expect(url, daemon.stderr()).toBeDefined();
      const { stdout } = await run('curl', ['-sS', '--max-time', '10', url!]);
      expect(stdout).toMatch(/^handoffd worker pid=\d+ uid=65534 http /);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
