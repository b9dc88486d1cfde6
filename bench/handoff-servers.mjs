// The Node servers measured by bench/handoff.mjs, each answering every
// connection with the same short reply and closing it:
//   privsep <port>         HandoffMaster with 2 workers (this file as worker)
//   privsep-worker         a HandoffWorker
//   cluster <port>         Node cluster, round-robin, 2 workers
//   single <port>          one Node process
import cluster from 'node:cluster';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { HandoffMaster, handoffWorker } from 'privsep';

const REPLY = 'hello from a worker\n';
const [mode, portText] = process.argv.slice(2);
const port = Number(portText);
const serve = (socket) => {
  socket.on('error', () => {});
  socket.end(REPLY);
};

if (mode === 'privsep') {
  const master = new HandoffMaster({
    listen: [{ host: '127.0.0.1', port }],
    worker: { args: [fileURLToPath(import.meta.url), 'privsep-worker'] },
    workers: 2,
  });
  await master.ready();
  console.log('ready');
} else if (mode === 'privsep-worker') {
  handoffWorker().on('connection', ({ socket }) => serve(socket));
} else if (mode === 'cluster') {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  if (cluster.isPrimary) {
    let listening = 0;
    for (let i = 0; i < 2; i++) cluster.fork().on('listening', () => ++listening === 2 && console.log('ready'));
  } else {
    net.createServer(serve).listen(port, '127.0.0.1');
  }
} else if (mode === 'single') {
  net.createServer(serve).listen(port, '127.0.0.1', () => console.log('ready'));
}
