// Paths inside the mount ('/' is the mount's root, '/a/b' below it) and
// their mapping onto the server's paths below the remote directory that
// was mounted. Pure.
import { posix } from 'node:path';

/** The path of `name` inside directory `dir`. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The directory part of a path ('/' for '/a'). */
export function parentPath(path: string): string {
  return posix.dirname(path);
}

/** The last component of a path. */
export function baseName(path: string): string {
  return posix.basename(path);
}

/** True when `path` is `dir` or lies below it, by whole components. */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** `path`, which lies inside `from` (never the root), with `from` replaced by `to`. */
export function movedPath(path: string, from: string, to: string): string {
  return to + path.slice(from.length);
}

/**
 * The server's path for a path inside the mount: below `remoteRoot`, the
 * absolute directory that was mounted. Names pass unchanged: the client
 * refuses the ones FTP cannot carry (CR, LF, NUL).
 */
export function remotePath(remoteRoot: string, path: string): string {
  if (path === '/') return remoteRoot;
  return remoteRoot === '/' ? path : remoteRoot + path;
}

/** The path inside the mount of a server path below `remoteRoot`. */
export function mountPath(remoteRoot: string, remote: string): string {
  if (remoteRoot === '/') return remote;
  return remote.length === remoteRoot.length ? '/' : remote.slice(remoteRoot.length);
}

/** The longest name, in bytes, that servers' file systems store (NAME_MAX). */
export const NAME_MAX = 255;

/**
 * Why the server cannot store a new entry called `name`: longer than
 * NAME_MAX bytes (ENAMETOOLONG), or with a CR or LF, which FTP's command
 * lines cannot carry (EINVAL); null when it can.
 */
export function unstorableName(name: string): 'ENAMETOOLONG' | 'EINVAL' | null {
  if (Buffer.byteLength(name) > NAME_MAX) return 'ENAMETOOLONG';
  if (/[\r\n\0]/.test(name)) return 'EINVAL';
  return null;
}
