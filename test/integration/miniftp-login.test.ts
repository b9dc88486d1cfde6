// Logging in to miniftp: system passwords, virtual users, anonymous,
// failures that all look alike, max_login_fails; and how the server refuses
// to start.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/ftp-clients.js';
import { createUser, miniftpMain, processIdentity, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';
import { sha512Crypt } from '../helpers/users.js';

const run = promisify(execFile);

async function greet(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  expect((await client.replies(1))[0]!.code).toBe(220);
  return client;
}

describe.skipIf(!requireRoot('miniftp logins'))('miniftp logins', () => {
  let server: RunningMiniftp;
  let bob: TestUser;
  let virtualRoot: string;

  beforeAll(async () => {
    bob = createUser('mfb', 'bob-secret');
    virtualRoot = fs.mkdtempSync('/tmp/miniftp-virtual-');
    fs.chmodSync(virtualRoot, 0o755);
    fs.chownSync(virtualRoot, bob.uid, bob.gid);
    fs.writeFileSync(path.join(virtualRoot, 'welcome.txt'), 'virtual\n');
    const hash = await sha512Crypt('carol-secret');
    const userDb = path.join(virtualRoot, '..', `${path.basename(virtualRoot)}.users`);
    fs.writeFileSync(userDb, `# virtual users\ncarol:${hash}:${bob.name}:${virtualRoot}\n`);
    server = await startMiniftp({ user_db: userDb, max_login_fails: 2, write_enable: 'YES' });
  });

  afterAll(async () => {
    await server?.stop();
    bob?.remove();
    fs.rmSync(virtualRoot, { recursive: true, force: true });
    fs.rmSync(`${virtualRoot}.users`, { force: true });
  });

  it('a local user logs in with the system password and starts in the home directory', async () => {
    const client = await greet(server.port);
    expect((await client.command(`USER ${bob.name}`)).code).toBe(331);
    expect((await client.command('PASS bob-secret')).code).toBe(230);
    expect((await client.command('PWD')).text).toContain(`"${bob.home}"`);
    expect((await client.command('STOR')).code).toBeGreaterThanOrEqual(500);
    client.destroy();
  });

  it('a wrong password and an unknown user get the same 530', async () => {
    const replies: string[] = [];
    for (const [user, password] of [[bob.name, 'wrong'], ['no-such-user-here', 'whatever'], ['root', 'anything']] as const) {
      const client = await greet(server.port);
      await client.command(`USER ${user}`);
      const reply = await client.command(`PASS ${password}`);
      expect(reply.code).toBe(530);
      replies.push(reply.text);
      client.destroy();
    }
    expect(new Set(replies).size).toBe(1);
  });

  it('max_login_fails failures close the connection', async () => {
    const client = await greet(server.port);
    await client.command(`USER ${bob.name}`);
    expect((await client.command('PASS wrong1')).code).toBe(530);
    await client.command(`USER ${bob.name}`);
    expect((await client.command('PASS wrong2')).code).toBe(530);
    await client.closedByServer();
  });

  it('a virtual user from user_db acts as its system user, confined to its root', async () => {
    const client = await greet(server.port);
    await client.command('USER carol');
    expect((await client.command('PASS carol-secret')).code).toBe(230);
    expect((await client.command('PWD')).text).toContain('"/"');
    expect((await client.command('SIZE welcome.txt')).text).toBe('8');
    expect((await client.command('MKD made-by-carol')).code).toBe(257);
    expect(fs.statSync(path.join(virtualRoot, 'made-by-carol')).uid).toBe(bob.uid);
    expect((await client.command('CWD ../../..')).code).toBe(250);
    expect((await client.command('PWD')).text).toContain('"/"');
    const worker = server.processes().workers.find((pid) => processIdentity(pid).root === virtualRoot);
    expect(worker).toBeDefined();
    client.destroy();
  });

  it('anonymous logins are refused unless enabled', async () => {
    const client = await greet(server.port);
    await client.command('USER anonymous');
    expect((await client.command('PASS guest@')).code).toBe(530);
    client.destroy();
  });

  it('logs every login, good or bad', () => {
    const log = fs.readFileSync(server.logFile, 'utf8');
    expect(log).toMatch(new RegExp(`\\[${bob.name}\\] OK LOGIN: Client "127\\.0\\.0\\.1"`));
    expect(log).toMatch(/FAIL LOGIN: Client "127\.0\.0\.1"/);
  });
});

describe.skipIf(!requireRoot('miniftp start-up checks'))('miniftp start-up', () => {
  it('refuses to start as anyone but root, with status 2', async (ctx) => {
    needTools(ctx, 'setpriv');
    const result = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, miniftpMain]).catch((e) => e);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/must be started as root/);
  });

  it('names the file, the line and the key of a bad setting', async () => {
    const dir = fs.mkdtempSync('/tmp/miniftp-badconf-');
    const file = path.join(dir, 'bad.conf');
    fs.writeFileSync(file, 'listen_port=2121\n# comment\nlisten_prot=21\n');
    const unknown = await run(process.execPath, [miniftpMain, file]).catch((e) => e);
    fs.writeFileSync(file, 'max_clients=lots\n');
    const badValue = await run(process.execPath, [miniftpMain, file]).catch((e) => e);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${file}:3: unknown setting "listen_prot"`);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain(`${file}:1:`);
    expect(badValue.stderr).toContain('max_clients');
  });
});
