// Benchmark: fds passed per second between two processes, for a raw C
// program, the privsep Channel, and Node's child_process IPC (socket
// handles), all measured in this run. Last line:
//   fdpass ratio privsep/c=<x> privsep/node-ipc=<y>   (1 fd per message)
import { execFileSync, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Channel, socketPair } from 'privsep';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, '.build');
const receiver = path.join(here, 'fdpass-receiver.mjs');
const ROUNDS = 3;

function buildC() {
  fs.mkdirSync(buildDir, { recursive: true });
  const binary = path.join(buildDir, 'fdpass');
  execFileSync('cc', ['-O2', '-o', binary, path.join(here, 'fdpass.c')]);
  return binary;
}

function runC(binary, perMessage, messages) {
  const [count, seconds] = execFileSync(binary, [String(perMessage), String(messages)], { encoding: 'utf8' })
    .trim().split(' ').map(Number);
  return (count * perMessage) / seconds;
}

async function runPrivsep(perMessage, messages) {
  const [mine, theirs] = socketPair();
  const child = spawn(process.execPath, [receiver, 'privsep', String(messages)], { stdio: ['ignore', 'inherit', 'inherit', theirs.fd] });
  theirs.close();
  const channel = Channel.fromFd(mine);
  const fds = Array.from({ length: perMessage }, () => fs.openSync('/dev/null', 'r'));
  const payload = Buffer.from('x');
  await new Promise((r) => setTimeout(r, 200));
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) await channel.send(payload, fds);
  const done = await channel.receive();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (done.data.toString() !== 'done') throw new Error('receiver did not finish');
  channel.close();
  for (const fd of fds) fs.closeSync(fd);
  await new Promise((r) => child.once('exit', r));
  return (messages * perMessage) / seconds;
}

async function runNodeIpc(perMessage, messages) {
  const peers = [];
  const server = net.createServer((conn) => peers.push(conn));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect(server.address().port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.pause();
  const total = messages * perMessage;
  const child = fork(receiver, ['node-ipc', String(total)], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 200));
  const done = new Promise((resolve) => child.on('message', resolve));
  const start = process.hrtime.bigint();
  // Node's IPC carries one handle per message.
  for (let i = 0; i < total; i++) {
    await new Promise((resolve, reject) => child.send('x', socket, { keepOpen: true }, (err) => (err ? reject(err) : resolve())));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  for (const peer of peers) peer.destroy();
  server.close();
  await new Promise((r) => child.once('exit', r));
  return total / seconds;
}

function best(results) {
  return Math.max(...results);
}

const binary = buildC();
const rows = [];
for (const [perMessage, messages, ipcMessages] of [[1, 200_000, 20_000], [64, 10_000, 300]]) {
  const c = [], privsep = [], ipc = [];
  for (let round = 0; round < ROUNDS; round++) {
    c.push(runC(binary, perMessage, messages));
    privsep.push(await runPrivsep(perMessage, messages));
    ipc.push(await runNodeIpc(perMessage, ipcMessages));
  }
  rows.push({ perMessage, c: best(c), privsep: best(privsep), ipc: best(ipc) });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(12);
console.log(`fds per second, best of ${ROUNDS} rounds (higher is better)`);
console.log('fds/msg            raw C      privsep     node IPC   privsep/c  privsep/ipc');
for (const row of rows) {
  console.log(`${String(row.perMessage).padStart(7)} ${fmt(row.c)} ${fmt(row.privsep)} ${fmt(row.ipc)} ${(row.privsep / row.c).toFixed(2).padStart(11)} ${(row.privsep / row.ipc).toFixed(1).padStart(12)}`);
}
const one = rows[0];
console.log(`fdpass ratio privsep/c=${(one.privsep / one.c).toFixed(2)} privsep/node-ipc=${(one.privsep / one.ipc).toFixed(1)}`);
