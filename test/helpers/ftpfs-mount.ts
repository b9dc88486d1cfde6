// The ftpfs command mounting a test FTP server (test/helpers/ftp-servers.ts)
// through fusermount3, commands run on the mount with a bound on their
// time, and the checks that an ftpfs process ended cleanly.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { FtpTestServer } from './ftp-servers.js';
import { isMounted, processesNaming } from './mounts.js';
import { waitFor } from './process.js';

const execFileAsync = promisify(execFile);
export const ftpfsScript = path.resolve(import.meta.dirname, '../../dist/examples/ftpfs/ftpfs.js');

/** Runs a command with a bound on its time; resolves to stdout. */
export async function run(command: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  return stdout;
}

/** The error code a promise rejects with, or 'ok'. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** Runs a command that must fail; resolves to its stderr. */
export async function fails(command: string, args: string[], timeout = 60_000): Promise<string> {
  try {
    await execFileAsync(command, args, { timeout, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const e = err as { stderr?: string; killed?: boolean };
    if (e.killed) throw new Error(`${command} ${args.join(' ')} hung (killed after ${timeout} ms)`);
    return e.stderr ?? '';
  }
  throw new Error(`${command} ${args.join(' ')} succeeded`);
}

export interface MountedFtpfs {
  child: ChildProcess;
  mountpoint: string;
  cacheBase: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/**
 * Mounts the whole of `server` with the ftpfs command, on a new directory of
 * `scratch`, with a cache directory of its own there (or `cacheBase`, that of
 * an earlier mount), by an ftp:// URL (or `scheme`'s: ftpes, ftps); `mounts`
 * keeps it for {@link cleanUpMounts}.
 */
export async function mountFtpfs(server: FtpTestServer, scratch: string, mounts: MountedFtpfs[], args: string[] = [], cacheBase = fs.mkdtempSync(path.join(scratch, 'cache-')), scheme: 'ftp' | 'ftpes' | 'ftps' = 'ftp'): Promise<MountedFtpfs> {
  const mountpoint = fs.mkdtempSync(path.join(scratch, 'mnt-'));
  const url = `${scheme}://${server.user}@${server.host}:${server.port}/`;
  const child = spawn(process.execPath, [ftpfsScript, url, mountpoint, '--cache-dir', cacheBase, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FTPFS_PASSWORD: server.password },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const mounted: MountedFtpfs = { child, mountpoint, cacheBase, exited, stderr: () => stderr };
  mounts.push(mounted);
  await waitFor(() => /mounted /.test(stderr) || child.exitCode !== null, 20_000, 'ftpfs to mount');
  if (!isMounted(mountpoint)) throw new Error(`ftpfs did not mount: ${stderr}`);
  return mounted;
}

/** A cache directory's index, as ftpfs writes it (examples/ftpfs/cache-index.ts). */
export interface CacheIndex {
  format: number;
  files: Array<{ remote: string; local: string; size: number; dirty: boolean; onServer: boolean }>;
}

/** The per-server cache directories in `cacheBase` (private ones, mount-*, left out), with their indexes. */
export function cacheDirs(cacheBase: string): Array<{ dir: string; index: CacheIndex }> {
  return fs.readdirSync(cacheBase).filter((name) => !name.startsWith('mount-')).map((name) => {
    const dir = path.join(cacheBase, name);
    return { dir, index: JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as CacheIndex };
  });
}

/**
 * ftpfs has exited by itself with status 0 and left no mount or process
 * behind; its cache holds only what it keeps for the next mount: an index
 * (with nothing left in its journal), unlocked, and the copies it names, all
 * of them on the server.
 */
export async function expectCleanEnd(m: MountedFtpfs): Promise<void> {
  expect(await m.exited).toEqual({ code: 0, signal: null });
  expect(isMounted(m.mountpoint)).toBe(false);
  await waitFor(() => processesNaming(m.mountpoint).length === 0, 10_000, 'no process naming the mountpoint');
  expect(fs.readdirSync(m.cacheBase).filter((name) => name.startsWith('mount-')), 'private cache directories left').toEqual([]);
  for (const { dir, index } of cacheDirs(m.cacheBase)) {
    expect(index.files.filter((file) => file.dirty || !file.onServer), `files not uploaded in ${dir}`).toEqual([]);
    const journal = path.join(dir, 'journal');
    expect(fs.existsSync(journal) ? fs.readdirSync(journal) : [], 'records not taken into index.json').toEqual([]);
    expect(fs.readdirSync(dir).filter((name) => name !== 'journal').sort()).toEqual(['index.json', ...index.files.map((file) => file.local)].sort());
  }
}

/** Kills what is still running of `mounts` and unmounts what is still mounted. */
export async function cleanUpMounts(mounts: MountedFtpfs[]): Promise<void> {
  for (const m of mounts) {
    if (m.child.exitCode === null && m.child.signalCode === null) {
      m.child.kill('SIGKILL');
      await m.exited;
    }
    if (isMounted(m.mountpoint)) await run('fusermount3', ['-u', '-z', '--', m.mountpoint]).catch(() => {});
  }
}
