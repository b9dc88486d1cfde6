// miniftp refuses a configuration it cannot run with before it starts any
// process, with one line that names the setting (or user_db line) and why,
// and exit status 2: as vsftpd does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { startRefused } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { uniqueName } from '../helpers/users.js';
import { missingTool } from '../helpers/tools.js';


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

  it('ssl_enable with a certificate or key that cannot be used: the message names the setting', async (context) => {
    const reason = missingTool('openssl');
    if (reason !== null) console.log(`skipping "${context.task.name}": ${reason}`);
    context.skip(reason !== null);
    const make = (name: string): { cert: string; key: string } => {
      const cert = path.join(dir, `${name}-cert.pem`);
      const key = path.join(dir, `${name}-key.pem`);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      return { cert, key };
    };
    const one = make('one');
    const two = make('two');
    const missing = path.join(dir, 'no-such-cert.pem');
    expect(await start('ssl_enable=YES\n')).toEqual({
      code: 2, lines: ['miniftp: CONF:3: bad value "YES" for ssl_enable: it needs rsa_cert_file (the server\'s certificate)'],
    });
    expect(await start(`ssl_enable=YES\nrsa_cert_file=${missing}\n`)).toEqual({
      code: 2, lines: [`miniftp: CONF:4: bad value "${missing}" for rsa_cert_file: cannot read it: ENOENT`],
    });
    const notPem = path.join(dir, 'not-a-cert.pem');
    fs.writeFileSync(notPem, 'this is not a certificate\n');
    const bad = await start(`ssl_enable=YES\nrsa_cert_file=${notPem}\nrsa_private_key_file=${one.key}\n`);
    expect(bad.code).toBe(2);
    expect(bad.lines).toEqual([expect.stringMatching(new RegExp(`^miniftp: CONF:4: bad value "${notPem}" for rsa_cert_file: not a PEM certificate`))]);
    // The certificate alone, with no key in its file.
    const noKey = await start(`ssl_enable=YES\nrsa_cert_file=${one.cert}\n`);
    expect(noKey.lines).toEqual([expect.stringMatching(new RegExp(`^miniftp: CONF:4: bad value "${one.cert}" for rsa_cert_file: no PEM private key in it`))]);
    expect(await start(`ssl_enable=YES\nrsa_cert_file=${one.cert}\nrsa_private_key_file=${two.key}\n`)).toEqual({
      code: 2, lines: [`miniftp: CONF:5: bad value "${two.key}" for rsa_private_key_file: the private key does not match the certificate of ${one.cert}`],
    });
    expect(await start(`ssl_enable=YES\nrsa_cert_file=${one.cert}\nrsa_private_key_file=${one.key}\nssl_ciphers=NO-SUCH-CIPHER\n`)).toMatchObject({
      code: 2, lines: [expect.stringMatching(/^miniftp: CONF:6: bad value "NO-SUCH-CIPHER" for ssl_ciphers: OpenSSL refuses it/)],
    });
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
