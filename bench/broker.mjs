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

// Each round runs the bare and the typed round trip back to back, so that
// both see the same machine; the median over rounds damps a noisy host.
const ROUNDS = 7;
const MS_PER_RUN = 500;
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

  const rates = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  const ratios = { int: [], fd: [] };
  for (const roundTrip of Object.values(modes)) await timed(WARMUP_MS, roundTrip);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, roundTrip] of Object.entries(modes)) rates[name].push(await timed(MS_PER_RUN, roundTrip));
    ratios.int.push(rates['broker int'][round] / rates['channel int'][round]);
    ratios.fd.push(rates['broker fd'][round] / rates['channel fd'][round]);
  }
  channel.close();
  broker.close();
  await Promise.all([bare.child, typed.child].map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve() : c.on('exit', resolve)))));

  const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
  const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(12);
  console.log(`broker round trips per second, two processes, sequential calls (median of ${ROUNDS} rounds of ${MS_PER_RUN} ms)`);
  console.log(`${'reply'.padEnd(10)}${'bare Channel'.padStart(12)}${'typed broker'.padStart(14)}${'ratio'.padStart(8)}`);
  for (const kind of ['int', 'fd']) {
    const row = [fmt(median(rates[`channel ${kind}`])), fmt(median(rates[`broker ${kind}`])).padStart(14), median(ratios[kind]).toFixed(2).padStart(8)];
    console.log(`${kind.padEnd(10)}${row.join('')}`);
  }
  console.log(`broker ratio typed/channel=${median(ratios.int).toFixed(2)}`);
}

if (process.argv[2] === 'serve') {
  if (process.argv[3] === 'channel') serveChannel();
  else serveBroker();
} else {
  await main();
}
