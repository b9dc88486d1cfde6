// ftpfs: mounts a directory of an FTP server through FUSE and serves it until
// unmounted (fusermount3 -u, SIGINT or SIGTERM). Runs as the user who
// mounts; fusermount3 (setuid) does the mounting and passes /dev/fuse back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { packageVersion } from '../cli/version.js';
import { resolvePath } from '../ftp/index.js';
import { FtpClientPool } from './client/index.js';
import { cacheKey, lockCacheDir, type CacheDirLock } from './cache-dir.js';
import { INDEX_FILE, UnreadableIndexError, loadIndex, type IndexEntry } from './cache-index.js';
import { parseCli, usage, type FtpfsOptions } from './cli-options.js';
import { errnoOf } from './errno-map.js';
import { FtpFs } from './ftp-fs.js';
import { mount } from './fuse/mount.js';

function say(message: string): void {
  process.stderr.write(`ftpfs: ${message}\n`);
}

/** The server's directory to mount, checked to be one. */
async function remoteRoot(pool: FtpClientPool, options: FtpfsOptions): Promise<string> {
  return pool.use('command', async (client) => {
    await client.connect();
    const root = options.remotePath.startsWith('/') ? resolvePath('/', options.remotePath) : resolvePath(await client.pwd(), options.remotePath);
    await client.send('CWD', root);
    return root;
  });
}

/**
 * Node loads AbortController's code on first use, and a signal's first
 * listener runs it cold: a millisecond and more on a busy machine. Every
 * read that waits for a download listens on its request's signal (FUSE
 * INTERRUPT): the cost is paid here, before mounting, not by the first read.
 */
function warmAbortSignals(): void {
  const { signal } = new AbortController();
  const listener = (): void => {};
  signal.addEventListener('abort', listener, { once: true });
  signal.removeEventListener('abort', listener);
}

/**
 * Collects the garbage of the start (modules, the root listing) before
 * mounting. Left to itself, V8's first full collection comes a few hundred
 * milliseconds after the start, just when the mount's first requests do,
 * and holds them for 2-6 ms; done now, it costs the mount that instead.
 */
function collectStartGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/**
 * Root listings longer than this are not handed to the kernel at mount:
 * each entry costs it an inode and a dentry, a kilobyte or so.
 */
const WARM_ROOT_ENTRIES = 4096;

/**
 * Sends a GETATTR of the root and a LOOKUP through the mount once: V8
 * compiles a function when it is first called, and the mount's first user
 * would otherwise wait for the request code's compilation, a millisecond
 * and more on a busy machine. The name looked up is one the listing made
 * while mounting does not hold, so no FTP command is sent. Then reads the
 * root directory through the mount, answered from that listing: the
 * kernel keeps an entry for each name (READDIRPLUS) for --dir-ttl, and an
 * open of a file in the root then needs no LOOKUP first. Asynchronous: the
 * event loop answers them.
 */
async function warmUp(mountpoint: string, rootEntries: number): Promise<void> {
  await fs.promises.stat(mountpoint).catch(() => {});
  await fs.promises.stat(path.join(mountpoint, `.ftpfs-warm-up-${process.pid}`)).catch(() => {});
  if (rootEntries <= WARM_ROOT_ENTRIES) await fs.promises.readdir(mountpoint).catch(() => {});
}

/** The URL scheme of the mount's protocol. */
function scheme(options: FtpfsOptions): string {
  return options.secure === 'explicit' ? 'ftpes' : options.secure === 'implicit' ? 'ftps' : 'ftp';
}

/** A name for /proc/mounts and df: fusermount3 takes no commas or control characters in it. */
function fsName(options: FtpfsOptions, root: string): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return `${scheme(options)}://${options.user}@${host}:${options.port}${root}`.replace(/[,\\\0-\x1f\x7f]/g, '_');
}

/** The TLS options of the FTP clients: the CA file read, and a warning for --insecure. */
function tlsOptions(options: FtpfsOptions): { secure: FtpfsOptions['secure']; ca?: Buffer; rejectUnauthorized?: boolean } {
  if (options.secure === false) return { secure: false };
  if (options.insecure) {
    say(`warning: --insecure: the certificate of ${options.host} is not checked; anyone on the path can read the password and the files, and change them`);
    return { secure: options.secure, rejectUnauthorized: false };
  }
  if (options.caFile === null) return { secure: options.secure };
  try {
    return { secure: options.secure, ca: fs.readFileSync(options.caFile) };
  } catch (err) {
    throw new Error(`cannot read --ca-file ${options.caFile}: ${(err as Error).message}`);
  }
}

/** Where this mount keeps its copies: the server's own directory, or a private one. */
interface CacheChoice {
  dir: string;
  /** The earlier mounts' copies (persistent directory only). */
  index?: IndexEntry[];
  lock?: CacheDirLock;
}

/**
 * The cache directory of this server, user and remote root, locked and its
 * index read; a private directory when another mount has it or its index
 * cannot be read (its copies are then left as they are).
 */
function chooseCacheDir(base: string, key: string): CacheChoice {
  const shared = path.join(base, key);
  const lock = lockCacheDir(shared);
  let why: string;
  if ('heldBy' in lock) {
    why = `${shared} is in use by another mount (pid ${lock.heldBy})`;
  } else {
    try {
      return { dir: shared, index: loadIndex(shared), lock };
    } catch (err) {
      lock.release();
      if (!(err instanceof UnreadableIndexError)) throw err;
      why = `the index ${path.join(shared, INDEX_FILE)} cannot be read (${err.message}); its copies are left as they are`;
    }
  }
  const dir = fs.mkdtempSync(path.join(base, 'mount-'));
  say(`${why}: this mount uses a private cache directory, ${dir}, removed at unmount`);
  return { dir };
}

async function main(): Promise<void> {
  let options: FtpfsOptions;
  try {
    options = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    say(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (options.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  let tls;
  try {
    tls = tlsOptions(options);
  } catch (err) {
    say((err as Error).message);
    process.exit(2);
  }
  const pool = new FtpClientPool({
    host: options.host, port: options.port, user: options.user, password: options.password, ...tls,
    timeoutMs: Math.round(options.timeoutSeconds * 1000), dataMode: options.dataMode, maxConnections: options.connections,
  });
  let root: string;
  try {
    root = await remoteRoot(pool, options);
  } catch (err) {
    say(`cannot use ${scheme(options)}://${options.host}:${options.port}/${options.remotePath}: ${(err as Error).message} (${errnoOf(err)})`);
    await pool.close();
    process.exit(1);
  }
  const cacheBase = options.cacheDir ?? path.join(os.tmpdir(), `ftpfs-${process.getuid?.() ?? 'user'}`);
  let cache: CacheChoice;
  try {
    await fs.promises.mkdir(cacheBase, { recursive: true, mode: 0o700 });
    cache = chooseCacheDir(cacheBase, cacheKey(options.user, options.host, options.port, root));
  } catch (err) {
    say(`cannot make a cache directory in ${cacheBase}: ${(err as Error).message}`);
    await pool.close();
    process.exit(1);
  }
  const ttl = options.dirTtlSeconds;
  const ftpFs = new FtpFs({
    pool, remoteRoot: root, cacheDir: cache.dir, index: cache.index, dirTtlMs: ttl * 1000, readOnly: options.readOnly,
    cacheBytes: options.cacheSizeMiB * 1024 * 1024, unmountWaitMs: options.unmountWaitSeconds * 1000, report: say,
  });
  const cleanUp = async (): Promise<void> => {
    const left = await ftpFs.close().catch((err: Error) => {
      say(`cache cleanup: ${err.message}`);
      return [];
    });
    for (const file of left) say(`not on the server yet: ${file.remote}${file.error ? ` (${file.error})` : ''}`);
    if (left.length > 0) {
      say(cache.lock
        ? `kept in ${cache.dir}: the next mount of ${fsName(options, root)} uploads them`
        : `kept in ${cache.dir}, a private cache directory no later mount reads: copy them to the server by hand`);
    }
    cache.lock?.release();
    await pool.close();
  };
  // The root is listed now, so the first lookup or ls after mounting is
  // answered from the listing (and the LIST -a check is made once, here).
  // A failure is not the mount's: the first use lists again.
  const listed = await ftpFs.dirs.get('/').then((entries) => entries.size, () => null);
  warmAbortSignals();
  collectStartGarbage();
  let handle;
  try {
    handle = await mount(options.mountpoint, ftpFs, {
      fsName: fsName(options, root), subtype: 'ftpfs', readOnly: options.readOnly, allowOther: options.allowOther,
      handleSignals: true, readdirPlus: true, atomicTruncate: true, maxWrite: 1024 * 1024,
      entryTimeout: ttl, attrTimeout: ttl,
    });
  } catch (err) {
    say(`cannot mount on ${options.mountpoint}: ${(err as Error).message}`);
    await cleanUp();
    process.exit(1);
  }
  handle.on('error', (err: Error) => say(`unmount failed: ${err.message}`));
  handle.once('unmounted', () => {
    void cleanUp().then(() => say(`unmounted ${handle.mountpoint}`));
  });
  say(`mounted ${fsName(options, root)} on ${handle.mountpoint}`);
  if (listed !== null) void warmUp(handle.mountpoint, listed);
}

await main();
