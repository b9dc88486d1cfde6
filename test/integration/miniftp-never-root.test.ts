// No miniftp session runs as root, whatever the account is called: aliases
// of root made by the test (useradd -o -u 0) and accounts whose primary group
// is 0 are refused at start when a setting or a user_db line names them
// (the message names the line), and at login when they are local users or
// became root after the start (the 530 of a wrong password); no worker ever
// runs with uid 0 or gid 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/ftp-clients.js';
import { processIdentity, startMiniftp, startRefused, type RunningMiniftp } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { admin, addUser, removeCreated, setPassword, sha512Crypt, uniqueName } from '../helpers/users.js';

const PASSWORD = 'root-by-another-name';

async function loginReply(port: number, user: string, password = PASSWORD): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    await client.replies(1);
    await client.command(`USER ${user}`);
    return (await client.command(`PASS ${password}`)).text;
  } finally {
    client.destroy();
  }
}

describe.skipIf(!requireRoot('miniftp root identities'))('miniftp never runs a session as root', () => {
  const rootAlias = uniqueName('mfr');
  const rootGroup = uniqueName('mfg');
  const normal = uniqueName('mfn');
  const laterRoot = uniqueName('mfl');
  const anon = uniqueName('mfy');
  let dir: string;
  let userDb: string;
  let hash: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-root-'));
    fs.chmodSync(dir, 0o755);
    addUser(rootAlias, { uid: 0, shell: '/bin/sh', home: '/nonexistent' });
    addUser(rootGroup, { gid: 0, shell: '/bin/sh', home: dir });
    for (const name of [normal, laterRoot, anon]) addUser(name, { home: '/nonexistent' });
    for (const name of [rootAlias, rootGroup]) setPassword(name, PASSWORD, 'SHA512');
    hash = await sha512Crypt(PASSWORD);
    userDb = path.join(dir, 'users');
    fs.writeFileSync(userDb, `carol:${hash}:${normal}:${dir}\ndave:${hash}:${laterRoot}:${dir}\n`);
  });

  afterAll(() => {
    removeCreated();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const startWith = (config: string) => startRefused(dir, config);

  it('refuses to start when a setting or a user_db line names a root alias, naming the line', async () => {
    const asAnonymous = await startWith(`listen_port=0\nanonymous_enable=YES\nftp_username=${rootAlias}\n`);
    expect(asAnonymous.code).toBe(2);
    expect(asAnonymous.stderr).toContain(`CONF:3: bad value "${rootAlias}" for ftp_username: the account has uid 0 (root)`);

    const asHelper = await startWith(`listen_port=0\nnopriv_user=${rootGroup}\n`);
    expect(asHelper.code).toBe(2);
    expect(asHelper.stderr).toContain(`CONF:2: bad value "${rootGroup}" for nopriv_user: the account has primary group 0 (root)`);

    const badDb = path.join(dir, 'bad-users');
    fs.writeFileSync(badDb, `# virtual users\ncarol:${hash}:${normal}:${dir}\nerin:${hash}:${rootAlias}:${dir}\n`);
    const asVirtual = await startWith(`listen_port=0\nuser_db=${badDb}\n`);
    expect(asVirtual.code).toBe(2);
    expect(asVirtual.stderr).toContain(`${badDb}:3: system user "${rootAlias}" of user "erin": the account has uid 0 (root)`);

    // ftp_username matters only with anonymous logins.
    const missing = await startWith(`listen_port=0\nnopriv_user=no-such-user-miniftp\n`);
    expect(missing.stderr).toContain('CONF:2: bad value "no-such-user-miniftp" for nopriv_user: no such user');
  });

  describe('at login', () => {
    let server: RunningMiniftp;

    beforeAll(async () => {
      server = await startMiniftp({ user_db: userDb, anonymous_enable: 'YES', ftp_username: anon, anon_root: dir });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('refuses local users that are root by uid or by primary group, like a wrong password', async () => {
      const wrongPassword = await loginReply(server.port, rootGroup, 'wrong');
      expect(wrongPassword).toMatch(/^Login incorrect/);
      expect(await loginReply(server.port, rootAlias)).toBe(wrongPassword);
      expect(await loginReply(server.port, rootGroup)).toBe(wrongPassword);
    });

    it('refuses virtual and anonymous users whose account became root after the start', async () => {
      expect(await loginReply(server.port, 'carol')).toMatch(/^Login successful/);
      admin('usermod', '-o', '-u', '0', laterRoot);
      expect(await loginReply(server.port, 'dave')).toMatch(/^Login incorrect/);

      expect(await loginReply(server.port, 'anonymous', 'guest@')).toMatch(/^Login successful/);
      // Its worker still runs (uid unchanged), so change the primary group.
      admin('usermod', '-g', '0', anon);
      expect(await loginReply(server.port, 'anonymous', 'guest@')).toMatch(/^Login incorrect/);
    });

    it('never started a worker with uid 0 or gid 0', () => {
      const workers = server.processes().workers;
      expect(workers.length).toBeGreaterThanOrEqual(2);
      for (const pid of workers) {
        const { Uid, Gid } = processIdentity(pid);
        expect(Uid!.split(/\s+/), `worker ${pid}`).not.toContain('0');
        expect(Gid!.split(/\s+/), `worker ${pid}`).not.toContain('0');
      }
    });
  });
});
