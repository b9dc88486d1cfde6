// bench:ftp-engine: the miniftp session engine in one process (no privilege
// separation: the process side is benchmarked by bench:ftp) against vsftpd
// in the same run, with the same client (curl): RETR and STOR throughput and
// a LIST of 10,000 files. Prints a table, then
// `ftp-engine ratio retr=<x> stor=<y> list=<z>` (miniftp/vsftpd, higher is better).
// Needs root for vsftpd; without vsftpd only miniftp's numbers are printed.
// FTP_ENGINE_BENCH_MIB sets the file size (default 256).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FtpSession, LocalDataConnector, engineOptions } from '../dist/examples/miniftp/session/index.js';

const run = promisify(execFile);
const MIB = Number(process.env.FTP_ENGINE_BENCH_MIB ?? 256);
const LIST_FILES = 10_000;
const VSFTPD = '/usr/sbin/vsftpd';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-engine-bench-'));
const root = path.join(dir, 'root');
fs.mkdirSync(path.join(root, 'list'), { recursive: true });
fs.mkdirSync(path.join(root, 'up'));
for (let i = 0; i < LIST_FILES; i++) fs.writeFileSync(path.join(root, 'list', `file-${String(i).padStart(5, '0')}.dat`), 'x');
const big = path.join(root, 'big.bin');
{
  const fd = fs.openSync(big, 'w', 0o644);
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < MIB; i++) fs.writeSync(fd, chunk.fill(i & 0xff));
  fs.closeSync(fd);
}

function startMiniftp() {
  const options = engineOptions({ anonymousEnable: true, writeEnable: true, anonUploadEnable: true, anonUmask: 0o022, idleSessionTimeout: 0 });
  const server = net.createServer((socket) => {
    const host = {
      options,
      data: new LocalDataConnector(socket.remoteAddress, socket.localAddress, options),
      log: () => {},
      login: async (user) => (/^(ftp|anonymous)$/i.test(user) ? { ok: true, user: 'ftp', anonymous: true, root } : { ok: false }),
    };
    new FtpSession(socket, host, 'prelogin');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, stop: () => server.close() })));
}

async function startVsftpd() {
  if (!fs.existsSync(VSFTPD) || process.getuid() !== 0) return null;
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  fs.mkdirSync('/var/run/vsftpd/empty', { recursive: true });
  fs.chownSync(path.join(root, 'up'), Number((await run('id', ['-u', 'ftp'])).stdout), Number((await run('id', ['-g', 'ftp'])).stdout));
  const conf = path.join(dir, 'vsftpd.conf');
  fs.writeFileSync(conf, [
    'listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=YES', 'local_enable=NO', `anon_root=${root}`, 'no_anon_password=YES', 'write_enable=YES',
    'anon_upload_enable=YES', 'anon_umask=022', 'secure_chroot_dir=/var/run/vsftpd/empty', 'xferlog_enable=NO',
    'seccomp_sandbox=NO', 'idle_session_timeout=0', '',
  ].join('\n'));
  const child = spawn(VSFTPD, [conf], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, stop: () => child.kill('SIGTERM') };
}

async function curlStat(args, field) {
  const { stdout } = await run('curl', ['-s', '-S', '-o', '/dev/null', '-w', field, ...args], { maxBuffer: 1 << 20 });
  return stdout.split(' ').map(Number);
}

// One sample of each measure from one server.
async function sample(name, port, i) {
  const url = `ftp://127.0.0.1:${port}`;
  const [retr] = await curlStat([`${url}/big.bin`], '%{speed_download}');
  const [stor] = await curlStat(['-T', big, `${url}/up/${name}-${i}.bin`], '%{speed_upload}');
  const list = [];
  for (let j = 0; j < 5; j++) {
    const [total, pre] = await curlStat([`${url}/list/`], '%{time_total} %{time_pretransfer}');
    list.push(total - pre);
  }
  return { retr, stor, list: Math.min(...list) };
}

const ROUNDS = Number(process.env.FTP_ENGINE_BENCH_ROUNDS ?? 5);
const results = {};
const servers = [];
try {
  servers.push(['miniftp', await startMiniftp()]);
  const vsftpd = await startVsftpd();
  if (vsftpd) servers.push(['vsftpd', vsftpd]);
  else console.log('vsftpd not measured: it needs root and /usr/sbin/vsftpd');
  // Interleaved rounds, best of each: the machine is shared, and the least disturbed sample is the truest.
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, server] of servers) {
      const r = await sample(name, server.port, i);
      const best = (results[name] ??= { retr: 0, stor: 0, list: Infinity });
      best.retr = Math.max(best.retr, r.retr);
      best.stor = Math.max(best.stor, r.stor);
      best.list = Math.min(best.list, r.list);
    }
  }
} finally {
  for (const [, server] of servers) server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

const mibs = (bytes) => (bytes / (1 << 20)).toFixed(0).padStart(8);
console.log(`file ${MIB} MiB, LIST of ${LIST_FILES} files; best of ${ROUNDS} interleaved rounds of curl`);
console.log('server       RETR MiB/s  STOR MiB/s  LIST ms');
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(12)} ${mibs(r.retr)}    ${mibs(r.stor)}    ${(r.list * 1000).toFixed(1).padStart(7)}`);
}
if (results.vsftpd) {
  const m = results.miniftp;
  const v = results.vsftpd;
  console.log(`ftp-engine ratio retr=${(m.retr / v.retr).toFixed(2)} stor=${(m.stor / v.stor).toFixed(2)} list=${(v.list / m.list).toFixed(2)}`);
}
process.exit(0);
