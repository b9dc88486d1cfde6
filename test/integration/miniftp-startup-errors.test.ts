// miniftp refuses a configuration it cannot run with before it starts any
// process, with one line that names the setting (or user_db line) and why,
// and exit status 2: as vsftpd does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRefused } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { uniqueName } from '../helpers/users.js';


describe.skipIf(!requireRoot('miniftp start-up errors'))('miniftp start-up errors', () => {
  let dir: string;
  const missing = uniqueName('nouser');

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-startup-'));
    fs.chmodSync(dir, 0o755);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Runs miniftp with `config` after two lines of its own (and `env` added to its environment).
  async function start(config: string, env: Record<string, string> = {}): Promise<{ code: number; lines: string[] }> {
    const { code, stderr } = await startRefused(dir, `listen_address=127.0.0.1\nlisten_port=0\n${config}`, env);
    return { code, lines: stderr.trim().split('\n') };
  }

  it('anonymous_enable=YES with an ftp_username that has no account', async () => {
    expect(await start(`anonymous_enable=YES\nftp_username=${missing}\n`)).toEqual({
      code: 2, lines: [`miniftp: CONF:4: bad value "${missing}" for ftp_username: no such user`],
    });
  });

  it('a nopriv_user that does not exist', async () => {
    expect(await start(`nopriv_user=${missing}\n`)).toEqual({
      code: 2, lines: [`miniftp: CONF:3: bad value "${missing}" for nopriv_user: no such user`],
    });
  });

  it('a secure_chroot_dir that others may write to, or that root does not own', async () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o777);
    expect(await start(`secure_chroot_dir=${open}\n`)).toEqual({
      code: 2, lines: [`miniftp: CONF:3: bad value "${open}" for secure_chroot_dir: mode 0777 lets others write to it; it must not be writable by group or others`],
    });
    fs.chmodSync(open, 0o755);
    fs.chownSync(open, 65534, 65534);
    expect(await start(`secure_chroot_dir=${open}\n`)).toEqual({
      code: 2, lines: [`miniftp: CONF:3: bad value "${open}" for secure_chroot_dir: owned by uid 65534; it must belong to root`],
    });
  });

  it('a user_db entry whose system user is missing', async () => {
    const users = path.join(dir, 'users');
    fs.writeFileSync(users, `# virtual users\ncarol:$6$saltsalt$${'x'.repeat(86)}:${missing}:${dir}\n`);
    const { code, lines } = await start(`user_db=${users}\n`);
    expect(code).toBe(2);
    expect(lines).toEqual([`miniftp: ${users}:2: system user "${missing}" of user "carol": no such user`]);
  });

  it('a child that cannot start: the master says which, as which uid, and why; exit 2; nothing left running', async () => {
    // A node flag that only the helper gets, and that node refuses.
    const { code, lines } = await start(`secure_chroot_dir=${path.join(dir, 'empty')}\n`, { MINIFTP_LIGHT_NODE_FLAGS: '--no-such-node-flag' });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/bad option: --no-such-node-flag/);
    expect(lines.at(-1)).toMatch(/^miniftp: cannot start: the helper \(uid 65533\) did not start: /);
    const left = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--no-such-node-flag');
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
  });
});
