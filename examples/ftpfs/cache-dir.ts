// The cache directory of one server, user and remote root: its name (a
// readable prefix and a short hash), and the lock that keeps two mounts
// from using it at once (a file holding the pid of the mount that has it;
// a pid that no longer runs frees it).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'lock';
/** Readable part of a directory's name: enough to tell servers apart in `ls`. */
const PREFIX_MAX = 60;
/** Tries to take a lock that a dead process left: another mount may race for it. */
const LOCK_ATTEMPTS = 5;

/** The name of the cache directory for `user@host:port` and the remote root. */
export function cacheKey(user: string, host: string, port: number, root: string): string {
  const id = `${user}@${host}:${port}${root}`;
  const readable = id.replace(/[^A-Za-z0-9@.:_-]+/g, '_').slice(0, PREFIX_MAX);
  const hash = crypto.createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${readable}-${hash}`;
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or null when it names none (half written, garbage). */
function lockHolder(lock: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export interface CacheDirLock {
  /** Frees the directory for the next mount. */
  release(): void;
}

/**
 * Takes `dir` (made when missing) for this process.
 * @returns the lock, or the pid of the running process that holds it
 * @throws local errors making the directory or the lock file
 */
export function lockCacheDir(dir: string): CacheDirLock | { heldBy: number } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    // Written whole under another name, then linked: the lock never holds half a pid.
    const mine = path.join(dir, `${LOCK_FILE}.${process.pid}`);
    fs.writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
    try {
      fs.linkSync(mine, lock);
      return {
        release: () => {
          if (lockHolder(lock) === process.pid) fs.rmSync(lock, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(mine, { force: true });
    }
    const holder = lockHolder(lock);
    if (holder !== null && holder !== process.pid && isRunning(holder)) return { heldBy: holder };
    // Left by a mount that ended without unmounting (killed, crashed). Moved
    // aside before it is looked at again: another mount may have taken its
    // place meanwhile, and its lock must stay.
    const stale = path.join(dir, `${LOCK_FILE}.stale.${process.pid}`);
    try {
      fs.renameSync(lock, stale);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = lockHolder(stale);
    if (moved !== null && moved !== holder && isRunning(moved)) {
      try {
        fs.linkSync(stale, lock);
      } catch (err) {
        // EEXIST: yet another mount took the place; either way this one does not get it.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        fs.rmSync(stale, { force: true });
      }
      return { heldBy: moved };
    }
    fs.rmSync(stale, { force: true });
  }
  throw new Error(`cannot take the lock ${lock}: other mounts keep racing for it`);
}

/** True for files of the cache directory that are not copies. */
export function isLockFile(name: string): boolean {
  return name === LOCK_FILE || name.startsWith(`${LOCK_FILE}.`);
}
