// Load for bench/ftp.mjs and bench/ftps.mjs, against one FTP server on 127.0.0.1:
//   sessions <port> <user> <password> <concurrency> <seconds> [tls]
//       connect, (with tls: AUTH TLS and the handshake,) log in, quit, again
//       and again; prints "<sessions> <errors> <seconds>"
//   idle <port> <user> <password> <count>
//       logs in <count> sessions and holds them; prints "ready" once all are in,
//       and quits them all when stdin closes
//   users <port> - <password> <user,user,...>
//       logs in one session for each user, one after the other, and holds
//       them; prints "ready <ms>,<ms>,..." (each login's time, connect to 230)
//       once all are in, and quits them all when stdin closes
//   connects <port> - - <concurrency> <seconds>
//       connect, banner, QUIT, again and again; prints "<count> <errors> <seconds>"
//   retr <port> <user> <password> <count> <file>
//       one session, TYPE I, then <count> times PASV and RETR <file>;
//       prints "<count> <seconds>"
//   list <port> <user> <password> <count> <command> <dir>
//       one session, then <count> times PASV and "<command> <dir>" (LIST or
//       MLSD); prints "<seconds> <seconds> ... lines=<lines of the last>",
//       or "unsupported" when the server refuses the command
// Every mode ends within FTP_CLIENT_LIMIT_S seconds (300) or exits with 1.
import net from 'node:net';
import tls from 'node:tls';

const [mode, portText, user, password, a, b, security] = process.argv.slice(2);
const port = Number(portText);
const limit = setTimeout(() => {
  console.error(`ftp-client ${mode}: not done after its time limit`);
  process.exit(1);
}, Number(process.env.FTP_CLIENT_LIMIT_S ?? 300) * 1000);
limit.unref();

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
    /** The last reply's final line. */
    text: '',
    reply: () => new Promise((resolve, reject) => {
      const check = () => {
        const match = /^(\d{3}) .*\r?\n/m.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          c.text = match[0].trim();
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

async function login(name = user) {
  const c = controlConnection();
  if ((await c.reply()) !== 220) throw new Error('no greeting');
  if (security === 'tls') {
    c.send('AUTH TLS');
    if ((await c.reply()) !== 234) throw new Error('AUTH TLS refused');
    await c.startTls();
  }
  c.send(`USER ${name}`);
  if ((await c.reply()) !== 331) throw new Error('USER refused');
  c.send(`PASS ${password}`);
  if ((await c.reply()) !== 230) throw new Error('PASS refused');
  return c;
}

/**
 * PASV, a data connection to the port it names, `command`: the bytes that
 * came on it, or null when the server refused the command.
 */
async function dataTransfer(c, command) {
  c.send('PASV');
  if ((await c.reply()) !== 227) throw new Error(`PASV refused: ${c.text}`);
  const numbers = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(c.text);
  if (!numbers) throw new Error(`no address in ${c.text}`);
  const data = net.connect(Number(numbers[5]) * 256 + Number(numbers[6]), '127.0.0.1');
  const chunks = [];
  const received = new Promise((resolve, reject) => {
    data.on('data', (d) => chunks.push(d));
    data.on('error', reject);
    data.on('close', resolve);
  });
  c.send(command);
  let code = await c.reply();
  if (code >= 400) {
    data.destroy();
    return null;
  }
  await received;
  if (code < 200) code = await c.reply();
  if (code !== 226) throw new Error(`${command}: ${c.text}`);
  return Buffer.concat(chunks);
}

async function quit(c) {
  c.send('QUIT');
  await c.reply().catch(() => 0);
  c.socket.destroy();
}

/** Holds `sessions` until stdin closes, then quits them all and exits. */
function holdUntilStdinEnds(sessions) {
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await Promise.all(sessions.map(quit));
    process.exit(0);
  });
}

/**
 * Runs `once` over and over in `concurrency` loops for `seconds`; prints the
 * successes, the failures and the seconds taken.
 */
async function loopFor(concurrency, seconds, once) {
  const start = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      try {
        await once();
        done++;
      } catch {
        errors++;
      }
    }
  }));
  console.log(`${done} ${errors} ${Number(process.hrtime.bigint() - start) / 1e9}`);
}

if (mode === 'sessions') {
  await loopFor(Number(a), Number(b), async () => {
    const c = await login();
    c.send('QUIT');
    await c.reply();
    c.socket.destroy();
  });
} else if (mode === 'idle') {
  const count = Number(a);
  const held = [];
  for (let i = 0; i < count; i += 10) {
    held.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => login()))));
  }
  console.log('ready');
  holdUntilStdinEnds(held);
} else if (mode === 'users') {
  const held = [];
  const times = [];
  for (const name of a.split(',')) {
    const start = process.hrtime.bigint();
    held.push(await login(name));
    times.push((Number(process.hrtime.bigint() - start) / 1e6).toFixed(2));
  }
  console.log(`ready ${times.join(',')}`);
  holdUntilStdinEnds(held);
} else if (mode === 'connects') {
  await loopFor(Number(a), Number(b), async () => {
    const c = controlConnection();
    if ((await c.reply()) !== 220) throw new Error('no greeting');
    c.send('QUIT');
    if ((await c.reply()) !== 221) throw new Error('QUIT refused');
    c.socket.destroy();
  });
} else if (mode === 'retr') {
  const count = Number(a);
  const c = await login();
  c.send('TYPE I');
  if ((await c.reply()) !== 200) throw new Error(`TYPE I refused: ${c.text}`);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    if ((await dataTransfer(c, `RETR ${b}`)) === null) throw new Error(`RETR ${b} refused: ${c.text}`);
  }
  console.log(`${count} ${Number(process.hrtime.bigint() - start) / 1e9}`);
  await quit(c);
} else if (mode === 'list') {
  const count = Number(a);
  const dir = process.argv[8];
  const c = await login();
  const times = [];
  let lines = 0;
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const listing = await dataTransfer(c, `${b} ${dir}`);
    if (listing === null) {
      times.length = 0;
      break;
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    lines = listing.toString('latin1').split('\n').filter((l) => l.trim() !== '').length;
  }
  console.log(times.length === 0 ? 'unsupported' : `${times.join(' ')} lines=${lines}`);
  await quit(c);
}
