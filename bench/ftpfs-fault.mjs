// The fault check of bench/ftpfs.mjs: a cp of FAULT_SIZE bytes into the
// mount; the FTP server killed (listener and sessions) once it has received
// FAULT_KILL_AT bytes of it, left down FAULT_DOWN_MS and started again on the
// same port; then, with nothing more done, the time from the restart until
// the server's file is whole (size and sha256 those of the source),
// FAULT_WAIT_MS at most. Until the kill the server sends and receives at
// FAULT_RATE, so that the kill lands in the middle of the upload on any
// machine; after it, at full speed. The time down makes a single immediate
// retry fail, as it would against a server that takes a moment to come back:
// only a later retry gets the file there.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exitedWithin, sleep, waitUntil } from './processes.mjs';

const MiB = 1024 ** 2;
export const FAULT_SIZE = 64 * MiB;
const FAULT_RATE = 8 * MiB;
const FAULT_KILL_AT = 8 * MiB;
const FAULT_DOWN_MS = 5_000;
const FAULT_WAIT_MS = 120_000;
const UPLOAD_START_MS = 60_000;

export const faultSetup = `cp of ${FAULT_SIZE / MiB} MiB into the mount; vsftpd (${FAULT_RATE / MiB} MiB/s) killed when it has ` +
  `${FAULT_KILL_AT / MiB} MiB, down ${FAULT_DOWN_MS / 1000} s, restarted on the same port at full speed; then only waiting, ${FAULT_WAIT_MS / 1000} s at most`;

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function statOf(file) {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

/**
 * Polls `file` until it has `size` bytes hashing to `want`, `ms` at most;
 * hashes only when its size, mtime or inode changed. Returns the seconds it
 * took, or null.
 */
async function wholeWithin(file, size, want, ms) {
  const start = process.hrtime.bigint();
  const deadline = Date.now() + ms;
  let hashed = '';
  while (Date.now() < deadline) {
    const stat = statOf(file);
    const stamp = stat && `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (stat?.size === size && stamp !== hashed) {
      hashed = stamp;
      if (sha256(file) === want) return Number(process.hrtime.bigint() - start) / 1e9;
    }
    await sleep(100);
  }
  return null;
}

/** The last two lines of the mount's log that name `target`, joined. */
function linesAbout(log, target) {
  try {
    return fs.readFileSync(log, 'utf8').split('\n').filter((line) => line.includes(target)).slice(-2).join(' / ');
  } catch {
    return '';
  }
}

function describeEnd(end, stderr) {
  if (!end) return 'still running';
  const said = stderr.trim().split('\n').pop() ?? '';
  return `${end.signal ? `killed by ${end.signal}` : `exit ${end.code}`}${said ? `: ${said}` : ''}`;
}

/**
 * Runs the fault check with `name` ('ftpfs' or 'rclone') on a mount of its
 * own. `context` comes from the bench: the server's port and directory, the
 * bench's directory (with fault.bin), the set of background processes killed
 * at clean-up, withMount, startServer(port, maxRate) and stopServer().
 * Returns { result: seconds as text | 'lost' | 'not-measured', text }.
 */
export async function faultCheck(name, { port, root, base, background, mount, startServer, stopServer }) {
  const source = path.join(base, 'fault.bin');
  const want = sha256(source);
  const target = `fault-${name}.bin`;
  const onServer = path.join(root, target);
  let cp = null;
  let cpEnd = null;
  let cpStderr = '';
  await stopServer();
  await startServer(port, FAULT_RATE);
  try {
    return await mount(name, port, 'fault', async (mnt, log) => {
      cp = spawn('cp', [source, path.join(mnt, target)], { stdio: ['ignore', 'ignore', 'pipe'] });
      background.add(cp);
      cp.stderr.on('data', (d) => {
        cpStderr += d;
      });
      cp.once('close', (code, signal) => {
        cpEnd = { code, signal };
      });
      try {
        await waitUntil(() => (statOf(onServer)?.size ?? 0) >= FAULT_KILL_AT, UPLOAD_START_MS, 'the upload');
      } catch {
        return { result: 'not-measured', text: `the server had ${statOf(onServer)?.size ?? 'no'} bytes of the file ${UPLOAD_START_MS / 1000} s after the cp began (cp: ${describeEnd(cpEnd, cpStderr)})` };
      }
      await stopServer();
      const killedAt = statOf(onServer)?.size ?? 0;
      if (killedAt >= FAULT_SIZE) return { result: 'not-measured', text: 'the upload ended before the server was killed' };
      await sleep(FAULT_DOWN_MS);
      await startServer(port);
      const seconds = await wholeWithin(onServer, FAULT_SIZE, want, FAULT_WAIT_MS);
      const stat = statOf(onServer);
      const how = `killed at ${killedAt} bytes; cp: ${describeEnd(cpEnd, cpStderr)}`;
      if (seconds !== null) return { result: seconds.toFixed(2), text: `file whole on the server ${seconds.toFixed(2)} s after the restart (${how})` };
      const has = stat ? `${stat.size} of ${FAULT_SIZE} bytes${stat.size === FAULT_SIZE ? ', not the same ones,' : ''}` : 'no file';
      const said = linesAbout(log, target);
      return { result: 'lost', text: `lost: the server has ${has} ${FAULT_WAIT_MS / 1000} s after the restart (${how})${said ? `; ${name} said: ${said}` : ''}` };
    });
  } finally {
    if (cp) {
      cp.kill('SIGKILL');
      if (await exitedWithin(cp, 20_000)) background.delete(cp);
    }
    fs.rmSync(onServer, { force: true });
    // A kill or start that failed half-way leaves the server down or slow: full speed for what follows.
    await stopServer();
    await startServer(port);
  }
}
