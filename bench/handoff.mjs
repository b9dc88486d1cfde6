// Benchmark: short connections per second (connect, read a small reply,
// close) from a bounded C load generator on 127.0.0.1, against privsep
// hand-off (2 workers), Node cluster round-robin (2 workers), a C prefork
// master passing fds to 2 C workers, and one Node process. Last line:
//   handoff ratio privsep/cluster=<x> privsep/c=<y>
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, '.build');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 32;
const ROUNDS = 3;
const PORT = 18_080;

function build(name) {
  fs.mkdirSync(buildDir, { recursive: true });
  const binary = path.join(buildDir, name);
  execFileSync('cc', ['-O2', '-o', binary, path.join(here, `${name}.c`)]);
  return binary;
}

async function start(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`${args.join(' ')} exited early`)));
  });
  return child;
}

function stop(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
}

function load(loadgen) {
  const [completed, errors, seconds] = execFileSync(loadgen, [String(PORT), String(CONCURRENCY), String(SECONDS)], { encoding: 'utf8' })
    .trim().split(' ').map(Number);
  if (errors > completed / 100) throw new Error(`${errors} errors in ${completed} connections`);
  return completed / seconds;
}

const loadgen = build('loadgen');
const prefork = build('prefork');
const servers = {
  privsep: () => start(process.execPath, [path.join(here, 'handoff-servers.mjs'), 'privsep', String(PORT)]),
  cluster: () => start(process.execPath, [path.join(here, 'handoff-servers.mjs'), 'cluster', String(PORT)]),
  c: () => start(prefork, [String(PORT), '2']),
  single: () => start(process.execPath, [path.join(here, 'handoff-servers.mjs'), 'single', String(PORT)]),
};
const results = Object.fromEntries(Object.keys(servers).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, launch] of Object.entries(servers)) {
    const server = await launch();
    try {
      results[name].push(load(loadgen));
    } finally {
      await stop(server);
    }
  }
}
const best = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.max(...v)]));
console.log(`connections per second, ${CONCURRENCY} concurrent, ${SECONDS} s, best of ${ROUNDS} rounds`);
const labels = { privsep: 'privsep handoff, 2 workers', cluster: 'node cluster RR, 2 workers', c: 'C prefork + fd passing, 2 workers', single: 'single node process' };
for (const [name, rate] of Object.entries(best)) console.log(`${labels[name].padEnd(36)} ${Math.round(rate).toLocaleString('en-US').padStart(10)}`);
console.log(`handoff ratio privsep/cluster=${(best.privsep / best.cluster).toFixed(2)} privsep/c=${(best.privsep / best.c).toFixed(2)}`);
