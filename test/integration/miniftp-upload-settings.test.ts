// Settings about whose files uploads make and what anonymous users may read,
// on a real server with real clients: anon_world_readable_only,
// chown_uploads (the master gives the upload away through the fd its worker
// passes), file_open_mode with the umask, and text_userdb_names.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FdHandle } from 'privsep';
import { curl, passiveData, rawLogin } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { giveUpload } from '../../examples/miniftp/master/chown-upload-privileged.js';
import { needTools } from '../helpers/tools.js';


// curl's failure with the server's reply code in its message.
async function curlFails(args: string[]): Promise<string> {
  try {
    await curl(args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`curl ${args.join(' ')} succeeded`);
}

describe.skipIf(!requireRoot('miniftp upload settings'))('miniftp: anonymous uploads and downloads', () => {
  let server: RunningMiniftp;
  let owner: TestUser;
  let anon: TestUser;
  let anonRoot: string;
  let work: string;

  beforeAll(async () => {
    owner = createUser('mfown', 'unused-password');
    anon = createUser('mfanon', 'unused-password');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-up-'));
    anonRoot = fs.mkdtempSync('/tmp/miniftp-anon-up-');
    fs.chmodSync(anonRoot, 0o755);
    fs.mkdirSync(path.join(anonRoot, 'incoming'));
    fs.chownSync(path.join(anonRoot, 'incoming'), anon.uid, anon.gid);
    for (const [name, mode] of [['public.txt', 0o644], ['private.txt', 0o600]] as const) {
      const file = path.join(anonRoot, name);
      fs.writeFileSync(file, `${name}\n`);
      fs.chownSync(file, anon.uid, anon.gid);
      fs.chmodSync(file, mode);
    }
    fs.writeFileSync(path.join(work, 'upload.txt'), 'uploaded by anonymous\n');
    server = await startMiniftp({
      anonymous_enable: 'YES', ftp_username: anon.name, anon_root: anonRoot, write_enable: 'YES', anon_upload_enable: 'YES',
      chown_uploads: 'YES', chown_username: owner.name, anon_umask: '022',
    });
  });

  afterAll(async () => {
    await server?.stop();
    owner?.remove();
    anon?.remove();
    fs.rmSync(anonRoot, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const url = (file: string): string => `ftp://anonymous:guest@127.0.0.1:${server.port}/${file}`;

  it('anon_world_readable_only (the default): a file of mode 0600 gets 550, one of 0644 downloads', async (ctx) => {
    needTools(ctx, 'curl');
    expect((await curl([url('public.txt')])).stdout).toBe('public.txt\n');
    expect(await curlFails([url('private.txt')])).toMatch(/550/);
    // The ftp user itself could read it: the refusal is the setting's, not the kernel's.
    expect(fs.statSync(path.join(anonRoot, 'private.txt')).uid).toBe(anon.uid);
  });

  it('chown_uploads: an anonymous upload belongs to chown_username, with chown_upload_mode, and nobody anonymous reads it back', async (ctx) => {
    needTools(ctx, 'curl');
    await curl(['-T', path.join(work, 'upload.txt'), url('incoming/up.txt')]);
    const stats = fs.statSync(path.join(anonRoot, 'incoming', 'up.txt'));
    expect(stats.uid).toBe(owner.uid);
    expect(stats.gid).toBe(anon.gid);
    expect(stats.mode & 0o7777).toBe(0o600);
    expect(fs.readFileSync(path.join(anonRoot, 'incoming', 'up.txt'), 'utf8')).toBe('uploaded by anonymous\n');
    expect(await curlFails([url('incoming/up.txt')])).toMatch(/550/);
  });

  it('refuses to start when chown_username is a uid 0 account', async () => {
    await expect(startMiniftp({ anonymous_enable: 'YES', anon_root: anonRoot, chown_uploads: 'YES', chown_username: 'root' }))
      .rejects.toThrow(/chown_username root is uid 0/);
  });

  it('the master gives away only a regular file of the uploader, through its fd', async () => {
    const file = path.join(work, 'given.txt');
    const dir = path.join(work, 'a-directory');
    fs.writeFileSync(file, 'x');
    fs.mkdirSync(dir);
    fs.chownSync(file, anon.uid, anon.gid);
    const target = { uid: owner.uid, mode: 0o640 };
    const open = (p: string): FdHandle => new FdHandle(fs.openSync(p, 'r'));
    const handles = [open(file), open(dir), open('/etc/passwd')];
    try {
      await expect(giveUpload(handles[1]!, anon.uid, target)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(giveUpload(handles[2]!, anon.uid, target)).rejects.toMatchObject({ code: 'EPERM' });
      expect(fs.statSync('/etc/passwd').uid).toBe(0);
      await giveUpload(handles[0]!, anon.uid, target);
      expect(fs.statSync(file)).toMatchObject({ uid: owner.uid, gid: anon.gid });
      expect(fs.statSync(file).mode & 0o7777).toBe(0o640);
    } finally {
      for (const handle of handles) handle.close();
    }
  });
});

describe.skipIf(!requireRoot('miniftp upload settings'))('miniftp: file_open_mode and text_userdb_names', () => {
  let server: RunningMiniftp;
  let user: TestUser;
  let work: string;
  const password = 'names-secret';

  beforeAll(async () => {
    user = createUser('mfnm', password);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-mode-'));
    fs.writeFileSync(path.join(work, 'data.txt'), 'some data\n');
    fs.writeFileSync(path.join(user.home, 'listed.txt'), 'listed\n');
    fs.chownSync(path.join(user.home, 'listed.txt'), user.uid, user.gid);
    server = await startMiniftp({ write_enable: 'YES', file_open_mode: '0600', local_umask: '000', text_userdb_names: 'YES' });
  });

  afterAll(async () => {
    await server?.stop();
    user?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const url = (file = ''): string => `ftp://${user.name}:${password}@127.0.0.1:${server.port}/${file}`;

  it('an upload is created with file_open_mode & ~local_umask: 0600, not 0666', async (ctx) => {
    needTools(ctx, 'curl');
    await curl(['-T', path.join(work, 'data.txt'), url('stored.txt')]);
    const stats = fs.statSync(path.join(user.home, 'stored.txt'));
    expect(stats.mode & 0o7777).toBe(0o600);
    expect(stats.uid).toBe(user.uid);
  });

  it('LIST, STAT and MLSD show the owner and group by name', async (ctx) => {
    needTools(ctx, 'curl');
    const group = execFileSync('id', ['-gn', user.name]).toString().trim();
    const listing = (await curl([url()])).stdout;
    const line = listing.split('\n').find((l) => l.endsWith('listed.txt'));
    expect(line).toMatch(new RegExp(`^-\\S+ +\\d+ ${user.name} +${group} +7 `));

    const client = await rawLogin(server.port, user.name, password);
    try {
      const stat = await client.command('STAT listed.txt');
      expect(stat.lines[1]).toContain(` ${user.name} `);
      const data = await passiveData(client);
      const chunks: Buffer[] = [];
      data.on('data', (c: Buffer) => chunks.push(c));
      const closed = new Promise((r) => data.once('close', r));
      expect((await client.command('MLSD')).code).toBe(150);
      expect((await client.replies(1))[0]?.code).toBe(226);
      await closed;
      const fact = Buffer.concat(chunks).toString().split('\r\n').find((l) => l.endsWith(' listed.txt'));
      expect(fact).toContain(`unix.uid=${user.uid};`);
      expect(fact).toContain(`unix.ownername=${user.name};`);
      expect(fact).toContain(`unix.groupname=${group};`);
    } finally {
      client.destroy();
    }
  });
});
