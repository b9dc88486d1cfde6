// vsftpd's user list (refused at USER, before a password is asked) and chroot
// choices (chroot list, /./ in the home directory, writable roots), with real
// clients against the real server and real accounts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, ftplibLoginReply, ftplibSteps, RawClient } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, startRefused, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';

const PASSWORD = 'list-secret';

// USER (and PASS when asked) on a raw connection: the replies as "code text".
async function rawLogin(port: number, user: string): Promise<{ client: RawClient; user: string; pass: string | null }> {
  const client = await RawClient.connect(port);
  await client.replies(1);
  const userReply = await client.command(`USER ${user}`);
  if (userReply.code !== 331) return { client, user: `${userReply.code} ${userReply.text}`, pass: null };
  const passReply = await client.command(`PASS ${PASSWORD}`);
  return { client, user: `${userReply.code} ${userReply.text}`, pass: `${passReply.code} ${passReply.text}` };
}

async function pwd(port: number, user: string): Promise<string> {
  const [, , result] = await ftplibSteps(port, { user, password: PASSWORD, steps: [{ op: 'cmd', line: 'PWD' }] });
  return result!.reply ?? result!.error!;
}

describe.skipIf(!requireRoot('miniftp user and chroot lists'))('miniftp user and chroot lists', () => {
  let alice: TestUser;
  let bob: TestUser;
  let dir: string;
  const servers: RunningMiniftp[] = [];

  beforeAll(() => {
    alice = createUser('mfla', PASSWORD);
    bob = createUser('mflb', PASSWORD);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-lists-'));
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    alice?.remove();
    bob?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(settings: Record<string, string | number>): Promise<RunningMiniftp> {
    const server = await startMiniftp(settings);
    servers.push(server);
    return server;
  }

  describe('userlist_enable', () => {
    let denyList: string;
    let deny: RunningMiniftp;

    beforeAll(async () => {
      denyList = path.join(dir, 'user_list');
      fs.writeFileSync(denyList, `# vsftpd userlist\n\n${alice.name}\n`);
      deny = await start({ userlist_enable: 'YES', userlist_file: denyList, max_login_fails: 3 });
    });

    it('refuses a listed name at USER with 530 Permission denied., no password asked (curl, ftplib, raw)', async (ctx) => {
      needTools(ctx, 'curl');
      const refused = await curl(['-v', `ftp://${alice.name}:${PASSWORD}@127.0.0.1:${deny.port}/`]).catch((err: { stderr: string }) => err);
      expect(refused.stderr).toMatch(/< 530 Permission denied\./);
      expect(refused.stderr).not.toMatch(/> PASS/);
      expect(await ftplibLoginReply(deny.port, alice.name, PASSWORD)).toBe('530 Permission denied.');
      const raw = await rawLogin(deny.port, alice.name);
      expect(raw).toMatchObject({ user: '530 Permission denied.', pass: null });
      // The connection stays, as vsftpd's does; PASS now has no name to go with.
      expect((await raw.client.command('NOOP')).code).toBe(200);
      expect((await raw.client.command(`PASS ${PASSWORD}`)).code).toBe(503);
      raw.client.destroy();
    });

    it('lets other names log in, and a comment line is no name to refuse', async () => {
      const raw = await rawLogin(deny.port, bob.name);
      expect(raw).toMatchObject({ user: '331 Please specify the password.', pass: '230 Login successful.' });
      raw.client.destroy();
      expect((await rawLogin(deny.port, 'nosuchuser')).user).toBe('331 Please specify the password.');
    });

    it('counts a refused USER as a failed login: the third closes the connection', async () => {
      const client = await RawClient.connect(deny.port);
      await client.replies(1);
      expect((await client.command(`USER ${alice.name}`)).code).toBe(530);
      expect((await client.command(`USER ${alice.name}`)).code).toBe(530);
      expect((await client.command(`USER ${alice.name}`)).code).toBe(530);
      await client.closedByServer();
    });

    it('reads the list at each USER; a list gone missing refuses everyone', async () => {
      fs.writeFileSync(denyList, `${bob.name}\n`);
      const now = await rawLogin(deny.port, alice.name);
      expect(now.pass).toBe('230 Login successful.');
      now.client.destroy();
      expect((await rawLogin(deny.port, bob.name)).user).toBe('530 Permission denied.');
      fs.rmSync(denyList);
      expect((await rawLogin(deny.port, alice.name)).user).toBe('530 Permission denied.');
      fs.writeFileSync(denyList, `${alice.name}\n`);
    });

    it('with userlist_deny=NO only the listed names may log in', async () => {
      const allowList = path.join(dir, 'allow_list');
      fs.writeFileSync(allowList, `${alice.name}\n`);
      const allow = await start({ userlist_enable: 'YES', userlist_file: allowList, userlist_deny: 'NO' });
      const listed = await rawLogin(allow.port, alice.name);
      expect(listed.pass).toBe('230 Login successful.');
      listed.client.destroy();
      expect((await rawLogin(allow.port, bob.name)).user).toBe('530 Permission denied.');
      expect((await rawLogin(allow.port, 'nosuchuser')).user).toBe('530 Permission denied.');
    });

    it('refuses to start when the list cannot be read', async () => {
      const missing = await startRefused(dir, `listen_port=0\nuserlist_enable=YES\nuserlist_file=${path.join(dir, 'none')}\n`);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain(`CONF:3: bad value "${path.join(dir, 'none')}" for userlist_file: cannot read the list`);
      const notFile = await startRefused(dir, `listen_port=0\nuserlist_enable=YES\nuserlist_file=${dir}\n`);
      expect(notFile.stderr).toContain('for userlist_file: cannot read the list: not a regular file');
    });
  });

  describe('chroot choice', () => {
    let chrootList: string;

    beforeAll(() => {
      chrootList = path.join(dir, 'chroot_list');
      fs.writeFileSync(chrootList, `${alice.name}\n`);
    });

    it('with chroot_local_user=YES the listed users are not chrooted', async () => {
      const server = await start({ chroot_local_user: 'YES', chroot_list_enable: 'YES', chroot_list_file: chrootList });
      expect(await pwd(server.port, alice.name)).toBe(`257 "${alice.home}" is the current directory`);
      expect(await pwd(server.port, bob.name)).toBe('257 "/" is the current directory');
    });

    it('with chroot_local_user=NO only the listed users are chrooted; a list gone missing refuses the login', async () => {
      const server = await start({ chroot_list_enable: 'YES', chroot_list_file: chrootList });
      expect(await pwd(server.port, alice.name)).toBe('257 "/" is the current directory');
      expect(await pwd(server.port, bob.name)).toBe(`257 "${bob.home}" is the current directory`);
      fs.renameSync(chrootList, `${chrootList}.away`);
      try {
        expect(await ftplibLoginReply(server.port, alice.name, PASSWORD)).toBe('530 Login incorrect.');
      } finally {
        fs.renameSync(`${chrootList}.away`, chrootList);
      }
    });

    it('passwd_chroot_enable: /./ in the home directory is the chroot point, the rest the first directory', async () => {
      const carol = createUser('mflc', PASSWORD);
      try {
        const jail = fs.mkdtempSync(path.join(dir, 'jail-'));
        fs.chmodSync(jail, 0o755);
        fs.mkdirSync(path.join(jail, 'sub'));
        fs.writeFileSync(path.join(jail, 'top.txt'), 'at the root\n');
        fs.chownSync(path.join(jail, 'sub'), carol.uid, carol.gid);
        execFileSync('usermod', ['-d', `${jail}/./sub`, carol.name]);
        const server = await start({ chroot_local_user: 'YES', passwd_chroot_enable: 'YES' });
        const [, , where, top] = await ftplibSteps(server.port, {
          user: carol.name, password: PASSWORD, steps: [{ op: 'cmd', line: 'PWD' }, { op: 'retr', path: '/top.txt' }],
        });
        expect(where!.reply).toBe('257 "/sub" is the current directory');
        expect(top!.bytes).toBe('at the root\n'.length);
        const plain = await start({ passwd_chroot_enable: 'YES' });
        expect(await pwd(plain.port, carol.name)).toBe(`257 "${jail}/sub" is the current directory`);
      } finally {
        for (const server of servers.splice(0)) await server.stop();
        carol.remove();
      }
    });

    it('serves a root the user may write, whatever allow_writeable_chroot says', async () => {
      expect(fs.statSync(bob.home).uid).toBe(bob.uid);
      const server = await start({ chroot_local_user: 'YES', write_enable: 'YES', allow_writeable_chroot: 'NO' });
      const source = path.join(dir, 'upload.txt');
      fs.writeFileSync(source, 'written at the root\n');
      const [, , stored] = await ftplibSteps(server.port, { user: bob.name, password: PASSWORD, steps: [{ op: 'stor', path: '/up.txt', src: source }] });
      expect(stored!.reply).toMatch(/^226/);
      expect(fs.readFileSync(path.join(bob.home, 'up.txt'), 'utf8')).toBe('written at the root\n');
    });
  });
});
