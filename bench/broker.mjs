// Round trips per second between two processes: a typed broker request with
// an int reply and one with an fd reply, next to the bare Channel round trip
// carrying the same bytes (and the same fd) measured in the same run. Prints
// a table and, last, "broker ratio typed/channel=<x>" for the int reply.
//
//   node bench/broker.mjs                 run the benchmark
//   node bench/broker.mjs serve <kind>    (internal) the server side, on fd 3
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BrokerClient, BrokerServer, Channel, FdHandle, defineProtocol, socketPair } from 'privsep';

const ROUNDS = 3;
const SECONDS_PER_RUN = 1;
const WARMUP_MS = 200;

const protocol = defineProtocol({
  name: 'bench', version: 1, requests: {
    getInt: { id: 1, args: ['int'], reply: ['result', 'int'] },
    getFd: { id: 2, args: [], reply: ['result', 'fd'] },
  },
});

// ---- server side (child process) ----------------------------------------

function serveChannel() {
  const devNull = new FdHandle(fs.openSync('/dev/null', 'r'));
  const channel = Channel.fromFd(3);
  channel.on('message', ({ data, fds }) => {
    for (const fd of fds) fd.close();
    // Byte 1 says which reply: the same bytes back, or a fresh fd as the broker's getFd sends.
    if (data[1] === 2) channel.send(data, [devNull.dup()], { closeAfterSend: true }).catch(() => {});
    else channel.send(data).catch(() => {});
  });
  channel.on('close', () => process.exit(0));
}

function serveBroker() {
  const devNull = new FdHandle(fs.openSync('/dev/null', 'r'));
  const server = new BrokerServer(Channel.fromFd(3), protocol, {
    answerGetInt: (n) => n,
    answerGetFd: () => devNull.dup(),
  });
  server.done.then(() => process.exit(0));
}

// ---- client side ----------------------------------------------------------

function startServer(kind) {
  const [mine, theirs] = socketPair();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', kind], { stdio: ['ignore', 'inherit', 'inherit', theirs.fd] });
  theirs.close();
  return { fd: mine, child };
}

async function timed(ms, roundTrip) {
  const deadline = performance.now() + ms;
  let count = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 64; i++) await roundTrip(i);
    count += 64;
  }
  return count / ((performance.now() - start) / 1000);
}

async function main() {
  const bare = startServer('channel');
  const typed = startServer('broker');
  const channel = Channel.fromFd(bare.fd);
  const broker = await BrokerClient.connect(typed.fd, protocol);

  // The same payload as the typed request: cmd (2 bytes) and int (5 bytes).
  const intMessage = Buffer.from([0x43, 1, 0x49, 7, 0, 0, 0]);
  const fdMessage = Buffer.from([0x43, 2]);
  const modes = {
    'channel int': async () => {
      await channel.send(intMessage);
      await channel.receive();
    },
    'broker int': (i) => broker.getInt(i),
    'channel fd': async () => {
      await channel.send(fdMessage);
      const { fds } = await channel.receive();
      for (const fd of fds) fd.close();
    },
    'broker fd': async () => (await broker.getFd()).close(),
  };

  const best = Object.fromEntries(Object.keys(modes).map((m) => [m, 0]));
  for (const roundTrip of Object.values(modes)) await timed(WARMUP_MS, roundTrip);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, roundTrip] of Object.entries(modes)) {
      best[name] = Math.max(best[name], await timed(SECONDS_PER_RUN * 1000, roundTrip));
    }
  }
  channel.close();
  broker.close();
  await Promise.all([bare.child, typed.child].map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve() : c.on('exit', resolve)))));

  const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(12);
  const intRatio = best['broker int'] / best['channel int'];
  const fdRatio = best['broker fd'] / best['channel fd'];
  console.log(`broker round trips per second, two processes, sequential calls (best of ${ROUNDS} x ${SECONDS_PER_RUN} s)`);
  console.log(`${'reply'.padEnd(10)}${'bare Channel'.padStart(12)}${'typed broker'.padStart(14)}${'ratio'.padStart(8)}`);
  console.log(`${'int'.padEnd(10)}${fmt(best['channel int'])}${fmt(best['broker int']).padStart(14)}${intRatio.toFixed(2).padStart(8)}`);
  console.log(`${'fd'.padEnd(10)}${fmt(best['channel fd'])}${fmt(best['broker fd']).padStart(14)}${fdRatio.toFixed(2).padStart(8)}`);
  console.log(`broker ratio typed/channel=${intRatio.toFixed(2)}`);
}

if (process.argv[2] === 'serve') {
  if (process.argv[3] === 'channel') serveChannel();
  else serveBroker();
} else {
  await main();
}
