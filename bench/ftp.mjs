// Benchmark: miniftp against vsftpd (Debian's package), both started here on
// 127.0.0.1 with equivalent settings, measured in one run: RETR and STOR of
// a 1 GiB file (curl), sessions per second (connect, log in, quit; 20 at a
// time), LIST of a 10,000-file directory (curl), and the memory (PSS) of all
// server processes holding 200 idle logged-in sessions. Last line:
//   ftp ratio retr=<x> stor=<y> sessions=<z> list=<w> mem=<v>
// (miniftp over vsftpd, higher is better; mem is vsftpd's PSS over miniftp's).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PASSWORD, atExit, benchSetup, pssKiB, requireRootAndVsftpd, startMiniftp, startVsftpd, stopServer, timed, waitForPort,
} from './ftp-servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const LIST_FILES = 10_000;
const IDLE_SESSIONS = 200;

requireRootAndVsftpd('bench:ftp');
const { dir, user, home, chownHome } = benchSetup('bench-ftp-', BIG_MIB);
fs.mkdirSync(path.join(home, 'list'));
for (let i = 0; i < LIST_FILES; i++) fs.writeFileSync(path.join(home, 'list', `file-${String(i).padStart(5, '0')}.txt`), '');
chownHome();

const url = (port, file) => `ftp://${user}:${PASSWORD}@127.0.0.1:${port}/${file}`;

async function idleMemory(port, server) {
  const client = spawn(process.execPath, [path.join(here, 'ftp-client.mjs'), 'idle', String(port), user, PASSWORD, String(IDLE_SESSIONS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  atExit(() => client.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    let out = '';
    client.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    client.once('exit', () => reject(new Error('idle client failed')));
  });
  await new Promise((r) => setTimeout(r, 500));
  const kib = pssKiB(server.child.pid);
  client.stdin.end();
  await new Promise((r) => client.once('exit', r));
  return kib;
}

async function measure(server, port) {
  await waitForPort(port, server);
  const mib = BIG_MIB;
  // A first session warms the server up (miniftp starts the user's worker
  // then); each transfer is the best of three.
  execFileSync('curl', ['-sS', '-o', '/dev/null', url(port, 'list/file-00000.txt')]);
  let retr = 0;
  let stor = 0;
  for (let i = 0; i < 3; i++) {
    retr = Math.max(retr, mib / timed('curl', ['-sS', '-o', '/dev/null', url(port, 'big.bin')]));
    stor = Math.max(stor, mib / timed('curl', ['-sS', '-T', path.join(home, 'big.bin'), url(port, 'upload.bin')]));
    fs.rmSync(path.join(home, 'upload.bin'), { force: true });
  }
  const load = execFileSync(process.execPath, [path.join(here, 'ftp-client.mjs'), 'sessions', String(port), user, PASSWORD, '20', '5'], { encoding: 'utf8' });
  const [count, errors, seconds] = load.trim().split(' ').map(Number);
  if (errors > count / 100) throw new Error(`${server.name}: ${errors} failed sessions`);
  const sessions = count / seconds;
  let listSeconds = 0;
  for (let i = 0; i < 5; i++) listSeconds += timed('curl', ['-sS', '-o', '/dev/null', url(port, 'list/')]);
  const list = 5 / listSeconds;
  const mem = await idleMemory(port, server);
  return { retr, stor, sessions, list, mem };
}

const results = { miniftp: [], vsftpd: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, start, port] of [['vsftpd', startVsftpd, 19021], ['miniftp', startMiniftp, 19121]]) {
    const server = start(dir, port);
    try {
      results[name].push(await measure(server, port));
    } finally {
      await stopServer(server);
    }
  }
}

const best = (name, key) => (key === 'mem' ? Math.min : Math.max)(...results[name].map((r) => r[key]));
const rows = [
  ['RETR 1 GiB (MiB/s)', 'retr'], ['STOR 1 GiB (MiB/s)', 'stor'], ['sessions/s (20 at a time)', 'sessions'],
  ['LIST of 10,000 files (/s)', 'list'], [`PSS, ${IDLE_SESSIONS} idle sessions (MiB)`, 'mem'],
];
console.log(`best of ${ROUNDS} rounds`);
console.log(`${'measure'.padEnd(34)} ${'miniftp'.padStart(10)} ${'vsftpd'.padStart(10)}`);
for (const [label, key] of rows) {
  const scale = key === 'mem' ? 1 / 1024 : 1;
  console.log(`${label.padEnd(34)} ${(best('miniftp', key) * scale).toFixed(1).padStart(10)} ${(best('vsftpd', key) * scale).toFixed(1).padStart(10)}`);
}
const ratio = (key) => (key === 'mem' ? best('vsftpd', key) / best('miniftp', key) : best('miniftp', key) / best('vsftpd', key)).toFixed(2);
console.log(`ftp ratio retr=${ratio('retr')} stor=${ratio('stor')} sessions=${ratio('sessions')} list=${ratio('list')} mem=${ratio('mem')}`);
