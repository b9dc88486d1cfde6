// The soak's parts, shared by `npm run soak` (bench/soak.mjs) and the suite's
// test/integration/miniftp-soak.test.ts: FTP sessions against a server on
// 127.0.0.1 (connect, log in, one small passive transfer, QUIT), and the
// master's memory report (SIGUSR1, one JSON line on its stderr).
import net from 'node:net';

const STEP_MS = 20_000;

/** @typedef {{ user: string, password: string, file: string, bytes: number }} SoakLogin */

// Whole replies from a control connection (a line "NNN text" ends one).
function controlConnection(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let buffer = '';
  let wake = null;
  const poke = () => wake?.();
  socket.on('data', (d) => {
    buffer += d;
    poke();
  });
  socket.on('error', poke);
  socket.on('close', poke);
  const reply = (what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      wake = null;
      reject(new Error(`no reply to ${what} in ${STEP_MS} ms`));
    }, STEP_MS);
    const check = () => {
      const match = /^(\d{3}) .*\r?\n/m.exec(buffer);
      if (match) {
        buffer = buffer.slice(match.index + match[0].length);
        wake = null;
        clearTimeout(timer);
        resolve({ code: Number(match[1]), text: match[0].trim() });
      } else if (socket.destroyed) {
        wake = null;
        clearTimeout(timer);
        reject(new Error(`connection closed before the reply to ${what}`));
      } else {
        wake = check;
      }
    };
    check();
  });
  const command = async (line, expected) => {
    socket.write(`${line}\r\n`);
    const got = await reply(line.split(' ')[0]);
    if (!expected.includes(got.code)) throw new Error(`${line.split(' ')[0]}: ${got.text}`);
    return got;
  };
  return { socket, reply, command };
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
}

// Reads a data connection to its end.
function readAll(socket) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    socket.on('data', (d) => (bytes += d.length));
    socket.once('end', () => resolve(bytes));
    socket.once('error', reject);
    socket.setTimeout(STEP_MS, () => socket.destroy(new Error('data connection stalled')));
  });
}

/**
 * One session: log in as `login.user`, then RETR `login.file` (its size must
 * be `login.bytes`) over a passive connection, then QUIT.
 * @param {number} port
 * @param {SoakLogin} login
 * @returns {Promise<void>}
 */
export async function oneSession(port, login) {
  const c = controlConnection(port);
  try {
    await connected(c.socket);
    const greeting = await c.reply('the greeting');
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text}`);
    await c.command(`USER ${login.user}`, [331, 230]);
    await c.command(`PASS ${login.password}`, [230]);
    await c.command('TYPE I', [200]);
    const pasv = await c.command('PASV', [227]);
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv.text);
    if (!m) throw new Error(`PASV: ${pasv.text}`);
    const data = net.connect(Number(m[5]) * 256 + Number(m[6]), '127.0.0.1');
    data.on('error', () => {});
    await connected(data);
    const received = readAll(data);
    await c.command(`RETR ${login.file}`, [150, 125]);
    const [bytes, done] = await Promise.all([received, c.reply('RETR')]);
    if (done.code !== 226) throw new Error(`RETR: ${done.text}`);
    if (bytes !== login.bytes) throw new Error(`RETR: ${bytes} bytes, expected ${login.bytes}`);
    await c.command('QUIT', [221]);
  } finally {
    c.socket.destroy();
  }
}

/**
 * A login the client walks away from: USER and PASS in one write, then a
 * reset after `waitMs` (0: at once), whatever the server has answered by then.
 * @param {number} port
 * @param {SoakLogin} login
 * @param {number} waitMs
 * @returns {Promise<void>}
 */
export async function abandonedLogin(port, login, waitMs) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  try {
    await connected(socket);
    socket.write(`USER ${login.user}\r\nPASS ${login.password}\r\n`);
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  } finally {
    socket.resetAndDestroy();
  }
}

/**
 * Runs `count` sessions, `concurrency` at a time, cycling through `logins`,
 * until done or `deadline` (ms since the epoch).
 * @param {{ port: number, logins: SoakLogin[], count: number, concurrency: number, deadline?: number, onSession?: (finished: number) => void }} options
 * @returns {Promise<{ done: number, errors: number, firstErrors: string[] }>}
 */
export async function runSessions({ port, logins, count, concurrency, deadline = Infinity, onSession }) {
  let started = 0;
  let done = 0;
  let errors = 0;
  const firstErrors = [];
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (started < count && Date.now() < deadline) {
      const n = started++;
      try {
        await oneSession(port, logins[n % logins.length]);
        done++;
      } catch (err) {
        errors++;
        if (firstErrors.length < 5) firstErrors.push(`${logins[n % logins.length].user}: ${err.message}`);
      }
      onSession?.(done + errors);
    }
  }));
  return { done, errors, firstErrors };
}

/**
 * The master's memory report: sends SIGUSR1 to `pid` and resolves with the
 * next stats line that `output()` (the master's stderr so far) shows.
 * @param {number} pid
 * @param {() => string} output
 * @returns {Promise<Array<Record<string, any>>>}
 */
export async function requestStats(pid, output, timeoutMs = 30_000) {
  const seen = output().length;
  process.kill(pid, 'SIGUSR1');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Whole lines only: the last piece may still be arriving.
    const line = output().slice(seen).split('\n').slice(0, -1).find((l) => l.startsWith('{"miniftpStats":'));
    if (line) return JSON.parse(line).miniftpStats;
    if (Date.now() > deadline) throw new Error(`no stats line from pid ${pid} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A name for a process of the report that stays the same across reports: its role and user.
 * @param {{ role: string, user?: string }} stats
 */
export function processKey(stats) {
  return stats.role === 'user' ? `user:${stats.user}` : stats.role;
}
