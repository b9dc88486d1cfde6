// Debian's stock /etc/vsftpd.conf starts miniftp as it is, with only the
// address and port given as -o options, as vsftpd allows: listen=NO with
// listen_ipv6=YES (one IPv6 socket that takes IPv4 clients too),
// pam_service_name=vsftpd, connect_from_port_20, secure_chroot_dir and the
// certificate files that ssl_enable=NO leaves unread. A local user logs in
// through Debian's /etc/pam.d/vsftpd, which refuses names in /etc/ftpusers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, ftplibLoginReply } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { listInFtpusers } from '../helpers/users.js';
import { needTools } from '../helpers/tools.js';

const STOCK = '/etc/vsftpd.conf';
const PAM_SERVICE = '/etc/pam.d/vsftpd';
const VSFTPD_LOG = '/var/log/vsftpd.log';
const missing = [STOCK, PAM_SERVICE].filter((file) => !fs.existsSync(file));
if (missing.length > 0) console.log(`skipping Debian's stock vsftpd.conf: ${missing.join(', ')} come with Debian's vsftpd package, which is not installed`);

describe.skipIf(!requireRoot('miniftp with Debian\'s stock vsftpd.conf') || missing.length > 0)('miniftp with Debian\'s stock /etc/vsftpd.conf', () => {
  let server: RunningMiniftp;
  let restoreFtpusers: (() => void) | undefined;
  let dir: string;
  let logBefore: Buffer | null = null;
  const password = 'stock-secret';
  const users: Record<string, TestUser> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-stock-'));
    const copy = path.join(dir, 'vsftpd.conf');
    fs.copyFileSync(STOCK, copy);
    logBefore = fs.existsSync(VSFTPD_LOG) ? fs.readFileSync(VSFTPD_LOG) : null;
    for (const kind of ['good', 'listed']) users[kind] = createUser(`mfs${kind.slice(0, 3)}`, password);
    fs.writeFileSync(path.join(users.good!.home, 'f.txt'), 'stock\n');
    restoreFtpusers = listInFtpusers(users.listed!.name);
    // listen_ipv6=YES on :: takes IPv4 clients too: the test's clients come from 127.0.0.1.
    server = await startMiniftp({ listen_address: '::', listen_port: 0 }, { configFile: copy });
  });

  afterAll(async () => {
    restoreFtpusers?.();
    await server?.stop();
    for (const user of Object.values(users)) user.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    // xferlog_enable=YES writes vsftpd's log: leave it as it was.
    if (logBefore === null) fs.rmSync(VSFTPD_LOG, { force: true });
    else fs.writeFileSync(VSFTPD_LOG, logBefore);
  });

  it('a local user logs in through /etc/pam.d/vsftpd and downloads (active, EPSV and PASV); a name in /etc/ftpusers is refused', async (ctx) => {
    needTools(ctx, 'curl');
    const good = users.good!;
    expect(await ftplibLoginReply(server.port, good.name, password)).toMatch(/^230/);
    expect(await ftplibLoginReply(server.port, users.listed!.name, password)).toBe('530 Login incorrect.');
    // connect_from_port_20=YES: an active (PORT) download.
    const { stdout } = await curl(['-P', '127.0.0.1', `ftp://${good.name}:${password}@127.0.0.1:${server.port}/f.txt`]);
    expect(stdout).toBe('stock\n');
    // And a passive one, whose address is the IPv4 one the client used.
    expect((await curl([`ftp://${good.name}:${password}@127.0.0.1:${server.port}/f.txt`])).stdout).toBe('stock\n');
    expect((await curl(['--disable-epsv', `ftp://${good.name}:${password}@127.0.0.1:${server.port}/f.txt`])).stdout).toBe('stock\n');
    // xferlog_enable=YES: the vsftpd-style log. IPv4 clients of the IPv6
    // socket are named as vsftpd names them there, ::ffff:a.b.c.d.
    await waitFor(() => fs.existsSync(VSFTPD_LOG) && fs.readFileSync(VSFTPD_LOG, 'utf8').includes(`[${good.name}] OK DOWNLOAD: Client "::ffff:127.0.0.1"`), 10_000, 'the download in /var/log/vsftpd.log');
    expect(fs.readFileSync(VSFTPD_LOG, 'utf8')).toContain(`[${users.listed!.name}] FAIL LOGIN: Client "::ffff:127.0.0.1"`);
  });
});
