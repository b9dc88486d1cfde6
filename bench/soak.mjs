// Soak: many FTP sessions against a real miniftp on 127.0.0.1, and the
// memory of each of its processes along the way.
//   npm run soak -- [--sessions N] [--concurrency C] [--minutes M] [--warmup W]
// Each session logs in (a local user and anonymous, in turn), downloads a
// small file over a passive connection and quits. After a warm-up of W
// sessions (checkpoint 0) and at 10 %, 50 % and 100 % of N (10k, 50k, 100k
// for N = 100,000) every process collects its garbage (the master runs with
// --expose-gc and passes it on) and reports heap, external memory, rss and
// fds. Last: each process's growth per 1,000 sessions from checkpoint 0 and
// from the 10 % checkpoint; the goal, judged on the latter (the JIT is still
// compiling after the warm-up), is under 50 KiB of retained memory (the heap
// without compiled code, plus external memory) in every process, and the
// same fd count. Exits 1 when a process misses it or a session fails.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { processKey, requestStats, runSessions } from './soak-client.mjs';

const GOAL_BYTES_PER_1000 = 50 * 1024;
const PASSWORD = 'soak-Secret-1';
const FILE_BYTES = 4096;

const { values: opts } = parseArgs({
  options: {
    sessions: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    minutes: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '1000' },
  },
});
const total = Number(opts.sessions);
const concurrency = Number(opts.concurrency);
const warmup = Number(opts.warmup);
const deadline = Date.now() + Number(opts.minutes) * 60_000;
for (const [name, value] of [['sessions', total], ['concurrency', concurrency], ['minutes', Number(opts.minutes)], ['warmup', warmup]]) {
  if (!Number.isInteger(value) || value < (name === 'warmup' ? 0 : 1)) {
    console.error(`soak: --${name} must be a positive whole number, not ${opts[name]}`);
    process.exit(2);
  }
}
if (process.getuid() !== 0) {
  console.error('soak needs root (it creates a user and starts miniftp)');
  process.exit(2);
}

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-'));
const user = `soak${process.pid % 100000}`;
const cleanup = [() => fs.rmSync(dir, { recursive: true, force: true })];
process.on('exit', () => {
  for (const step of cleanup.reverse()) {
    try {
      step();
    } catch {}
  }
});
let server = null;
// Stops miniftp and waits for it (its user worker must be gone before userdel).
async function shutdown(code) {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    server.kill('SIGKILL');
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void shutdown(1));

// A local user and an anonymous root, each with a small file.
fs.chmodSync(dir, 0o755);
const home = path.join(dir, 'home');
const anonRoot = path.join(dir, 'anon');
for (const d of [home, anonRoot, path.join(dir, 'empty')]) fs.mkdirSync(d, { mode: 0o755 });
execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/bash', user]);
cleanup.push(() => execFileSync('userdel', [user], { stdio: 'ignore' }));
execFileSync('chpasswd', [], { input: `${user}:${PASSWORD}\n` });
for (const d of [home, anonRoot]) fs.writeFileSync(path.join(d, 'small.bin'), Buffer.alloc(FILE_BYTES, 0x5a), { mode: 0o644 });
execFileSync('chown', ['-R', `${user}:${user}`, home]);
const config = path.join(dir, 'miniftp.conf');
fs.writeFileSync(config, [
  'listen_address=127.0.0.1', 'listen_port=0', `secure_chroot_dir=${path.join(dir, 'empty')}`,
  'anonymous_enable=YES', `anon_root=${anonRoot}`, 'max_clients=0', 'max_per_ip=0',
  'xferlog_enable=NO', 'delay_failed_login=0', '',
].join('\n'));

server = spawn(process.execPath, ['--expose-gc', path.join(root, 'dist', 'examples', 'miniftp', 'main.js'), config], { stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
server.stdout.on('data', (d) => (output += d));
server.stderr.on('data', (d) => (output += d));
// Keep only what a stats request still needs to see.
const trimOutput = () => {
  if (output.length > 1 << 20) output = output.slice(-(1 << 16));
};
let port = 0;
for (let i = 0; i < 600 && !port; i++) {
  if (server.exitCode !== null) break;
  port = Number(/listening on [^ ]+:(\d+)/.exec(output)?.[1] ?? 0);
  if (!port) await new Promise((r) => setTimeout(r, 50));
}
if (!port) {
  console.error(`soak: miniftp did not start:\n${output}`);
  await shutdown(1);
}

const logins = [
  { user, password: PASSWORD, file: 'small.bin', bytes: FILE_BYTES },
  { user: 'anonymous', password: 'soak@', file: 'small.bin', bytes: FILE_BYTES },
];
const checkpoints = [...new Set([0, Math.round(total / 10), Math.round(total / 2), total])];
const kib = (n) => (n === null || n === undefined ? '-' : (n / 1024).toFixed(0));

// Stats once every session has ended in the master's table and the fds of
// every process are what they were in the report before (bounded wait).
async function settledStats() {
  let stats;
  let previous = '';
  for (let i = 0; i < 100; i++) {
    stats = await requestStats(server.pid, () => output);
    trimOutput();
    const fds = JSON.stringify(stats.map((s) => [s.pid, s.fds]));
    if (stats.find((s) => s.role === 'master')?.sessions === 0 && fds === previous) break;
    previous = fds;
    await new Promise((r) => setTimeout(r, 200));
  }
  return stats;
}

function printCheckpoint(label, stats) {
  console.log(`\n# ${label}`);
  console.log('process            pid      heap KiB  (code KiB)  heap total KiB  external KiB   rss KiB  fds  sessions');
  for (const s of stats) {
    console.log(`${processKey(s).padEnd(18)} ${String(s.pid).padEnd(7)} ${kib(s.heapUsed).padStart(9)} ${kib(s.code).padStart(11)} ${kib(s.heapTotal).padStart(15)} ${kib(s.external).padStart(13)} ${kib(s.rss).padStart(9)} ${String(s.fds ?? '-').padStart(4)}  ${s.sessions ?? '-'}${s.error ? `  (${s.error})` : ''}`);
  }
}

console.log(`soak: miniftp on 127.0.0.1:${port}; ${total} sessions (after ${warmup} warm-up), ${concurrency} at a time, at most ${opts.minutes} min`);
const started = Date.now();
const warm = await runSessions({ port, logins, count: warmup, concurrency, deadline });
const series = [];
let done = 0;
let errors = warm.errors;
const firstErrors = [...warm.firstErrors];
for (const checkpoint of checkpoints) {
  if (checkpoint > done) {
    const base = done;
    const step = Math.max(1000, Math.round(total / 20));
    const onSession = (finished) => {
      if ((base + finished) % step === 0) console.error(`soak: ${base + finished} of ${total} sessions, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    };
    const round = await runSessions({ port, logins, count: checkpoint - done, concurrency, deadline, onSession });
    done += round.done + round.errors;
    errors += round.errors;
    firstErrors.push(...round.firstErrors.slice(0, 5 - firstErrors.length));
  }
  const stats = await settledStats();
  series.push({ sessions: done, stats });
  printCheckpoint(`${done} sessions (${((Date.now() - started) / 1000).toFixed(0)} s, ${errors} errors)`, stats);
  if (Date.now() >= deadline) break;
}

// Growth per 1,000 sessions of every process from checkpoint `from` to `to`;
// true when each one meets the goal.
function printGrowth(from, to) {
  const per1000 = (to.sessions - from.sessions) / 1000;
  let met = true;
  console.log(`\n# growth per 1,000 sessions, from ${from.sessions} to ${to.sessions} sessions (goal: retained < ${GOAL_BYTES_PER_1000 / 1024} KiB, same fds)`);
  console.log('process            heap B/1k  code B/1k  external B/1k  retained B/1k    rss B/1k  fds  result');
  for (const end of to.stats) {
    const start = from.stats.find((s) => processKey(s) === processKey(end));
    if (!start || start.pid !== end.pid) {
      console.log(`${processKey(end).padEnd(18)} (a new process since ${from.sessions} sessions: pid ${end.pid})`);
      continue;
    }
    const rate = (field) => (per1000 > 0 ? (end[field] - start[field]) / per1000 : 0);
    const retained = rate('heapUsed') - rate('code') + rate('external');
    const ok = retained < GOAL_BYTES_PER_1000 && end.fds === start.fds;
    met &&= ok;
    const fdDelta = end.fds - start.fds;
    console.log(`${processKey(end).padEnd(18)} ${rate('heapUsed').toFixed(0).padStart(9)} ${rate('code').toFixed(0).padStart(10)} ${rate('external').toFixed(0).padStart(14)} ${retained.toFixed(0).padStart(14)} ${rate('rss').toFixed(0).padStart(11)} ${(fdDelta >= 0 ? `+${fdDelta}` : String(fdDelta)).padStart(4)}  ${ok ? 'ok' : 'MISSED'}`);
  }
  return met;
}

// retained: the heap without compiled code, plus external memory. The JIT
// goes on compiling (bytecode, optimized code) well after the warm-up, so
// the goal is judged from the 10 % checkpoint on; the growth from 0 is shown too.
const last = series[series.length - 1];
const fromZero = printGrowth(series[0], last);
const judgedFrom = series.length > 2 ? series[1] : series[0];
const met = judgedFrom === series[0] ? fromZero : printGrowth(judgedFrom, last);
console.log(`\nsoak: the goal, judged from ${judgedFrom.sessions} sessions on, is ${met ? 'met' : 'MISSED'} in every process`);
console.log(`soak: ${last.sessions} sessions in ${((Date.now() - started) / 1000).toFixed(0)} s, ${errors} failed${firstErrors.length ? ` (first: ${firstErrors.join('; ')})` : ''}`);
if (last.sessions < total) console.log(`soak: stopped at the time bound (--minutes ${opts.minutes}) before ${total} sessions`);
await shutdown(!met || errors > 0 ? 1 : 0);
