// Load for bench/ftp.mjs and bench/ftps.mjs, against one FTP server on 127.0.0.1:
//   sessions <port> <user> <password> <concurrency> <seconds> [tls]
//       connect, (with tls: AUTH TLS and the handshake,) log in, quit, again
//       and again; prints "<sessions> <errors> <seconds>"
//   idle <port> <user> <password> <count>
//       logs in <count> sessions and holds them; prints "ready" once all are in,
//       and quits them all when stdin closes
import net from 'node:net';
import tls from 'node:tls';

const [mode, portText, user, password, a, b, security] = process.argv.slice(2);
const port = Number(portText);

// Reads whole replies (a line "NNN text" ends one) from a control connection;
// startTls() goes on over TLS on the same connection (after a 234).
function controlConnection() {
  let buffer = '';
  let waiter = null;
  const wake = () => {
    if (waiter) waiter();
  };
  const c = {
    socket: null,
    reply: () => new Promise((resolve, reject) => {
      const check = () => {
        const match = /^(\d{3}) .*\r?\n/m.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          waiter = null;
          resolve(Number(match[1]));
        } else if (c.socket.destroyed) {
          waiter = null;
          reject(new Error('closed'));
        } else {
          waiter = check;
        }
      };
      check();
    }),
    send: (line) => c.socket.write(`${line}\r\n`),
    startTls: () => new Promise((resolve, reject) => {
      const raw = c.socket;
      raw.removeAllListeners('data');
      // The benchmark's certificate is self-signed: it is not what is measured.
      attach(tls.connect({ socket: raw, rejectUnauthorized: false }, resolve));
      c.socket.once('error', reject);
    }),
  };
  const attach = (socket) => {
    c.socket = socket;
    socket.on('data', (d) => {
      buffer += d;
      wake();
    });
    socket.on('error', wake);
    socket.on('close', wake);
  };
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  attach(socket);
  return c;
}

async function login() {
  const c = controlConnection();
  if ((await c.reply()) !== 220) throw new Error('no greeting');
  if (security === 'tls') {
    c.send('AUTH TLS');
    if ((await c.reply()) !== 234) throw new Error('AUTH TLS refused');
    await c.startTls();
  }
  c.send(`USER ${user}`);
  if ((await c.reply()) !== 331) throw new Error('USER refused');
  c.send(`PASS ${password}`);
  if ((await c.reply()) !== 230) throw new Error('PASS refused');
  return c;
}

if (mode === 'sessions') {
  const concurrency = Number(a);
  const seconds = Number(b);
  const start = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  let sessions = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      try {
        const c = await login();
        c.send('QUIT');
        await c.reply();
        c.socket.destroy();
        sessions++;
      } catch {
        errors++;
      }
    }
  }));
  console.log(`${sessions} ${errors} ${Number(process.hrtime.bigint() - start) / 1e9}`);
} else if (mode === 'idle') {
  const count = Number(a);
  const held = [];
  for (let i = 0; i < count; i += 10) {
    held.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => login()))));
  }
  console.log('ready');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    for (const c of held) c.send('QUIT');
    await Promise.all(held.map((c) => c.reply().catch(() => 0)));
    process.exit(0);
  });
}
