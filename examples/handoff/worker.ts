// handoffd's worker: unprivileged; serves HTTP on connections from the
// plain listener and HTTPS on those from the TLS listener. Started as root
// with its uid and gid as arguments, it takes them (no groups, no
// capabilities) once its code is loaded. Its TLS key arrives as an open fd
// (4, certificate at 5): it could not read the file. It links to its master
// first, which makes it not dumpable, and only then reads the key.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { changeCredentials, handoffWorker } from 'privsep';

const [uid, gid] = process.argv.slice(2, 4).map(Number);
if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
  console.error('handoffd worker: usage: worker.js UID GID (handoffd starts its workers)');
  process.exit(2);
}
await changeCredentials({ uid: uid!, gid: gid!, groups: [], capabilities: [], noNewPrivs: true });

// Every worker shares the master's open files, and with them one offset:
// read from position 0 explicitly instead of from wherever another worker left it.
function readShared(fd: number): Buffer {
  const data = Buffer.alloc(fs.fstatSync(fd).size);
  for (let done = 0; done < data.length; ) {
    const n = fs.readSync(fd, data, done, data.length - done, done);
    if (n === 0) break;
    done += n;
  }
  fs.closeSync(fd);
  return data;
}

const master = handoffWorker();
const key = readShared(4);
const cert = readShared(5);

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  res.setHeader('content-type', 'text/plain');
  res.end(`handoffd worker pid=${process.pid} uid=${process.getuid!()} ${scheme} for ${req.socket.remoteAddress}:${req.socket.remotePort}\n`);
}

const plain = http.createServer(answer);
const secure = https.createServer({ key, cert }, answer);
for (const server of [plain, secure]) server.on('clientError', (_err, socket) => socket.destroy());

master.on('connection', ({ socket, listener }) => {
  (listener === 'tls' ? secure : plain).emit('connection', socket);
});
