// Virtual paths: a client's path argument resolved against the session's
// current directory inside a virtual root that cannot be left, the mapping of
// that path onto a real directory (chroot emulation), and the quoting of
// paths in 257 replies (RFC 959 appendix II). Pure: no file system access.
import path from 'node:path';
import { FtpProtocolError, FtpSyntaxError, excerpt, invalidArgValue } from './errors.js';

/**
 * Resolves a client's path argument against the current directory, in the
 * session's virtual file system whose root is '/'.
 *
 * Repeated slashes and `.` vanish; `..` goes up one level but never above
 * '/', so `../../etc` from `/pub` is `/etc` of the virtual root. A relative
 * argument is taken from `cwd`, an absolute one from the root, and '' means
 * `cwd` itself. Backslashes are ordinary name characters.
 *
 * @param cwd the session's current directory, absolute in the virtual root
 * @param arg the path the client sent
 * @returns an absolute, normalized virtual path with no `.` or `..` in it
 * @throws FtpSyntaxError (ERR_FTP_NUL_BYTE, reply 501) when either path holds a NUL byte
 */
export function resolvePath(cwd: string, arg: string): string {
  if (arg.includes('\0') || cwd.includes('\0')) {
    throw new FtpSyntaxError('ERR_FTP_NUL_BYTE', `NUL byte in path ${excerpt(arg)}`);
  }
  const joined = arg.startsWith('/') ? arg : `${cwd}/${arg}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

function checkRoot(root: string): string {
  if (typeof root !== 'string' || !root.startsWith('/') || root.includes('\0')) {
    throw invalidArgValue('root', root, 'must be an absolute path without NUL bytes');
  }
  const normal = path.posix.normalize(root);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/**
 * True when `realPath` is `root` itself or lies inside it, comparing whole
 * path components (`/srv/ftp-other` is not inside `/srv/ftp`). Both are
 * normalized first. The server calls this on the result of realpath() when
 * it opens a file, since a symbolic link inside the root can point out of
 * it: resolving names is the kernel's business, not this module's.
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `root` is not an absolute path
 */
export function isInsideRoot(root: string, realPath: string): boolean {
  const base = checkRoot(root);
  if (!realPath.startsWith('/') || realPath.includes('\0')) return false;
  const target = path.posix.normalize(realPath);
  if (base === '/') return true;
  return target === base || target === `${base}/` || target.startsWith(`${base}/`);
}

/**
 * Maps a virtual path onto the real directory that stands for the virtual
 * root, for users served without a real chroot(2). The virtual path is
 * normalized again first, so the result is always `root` or below it,
 * whatever `virtualPath` holds. Symbolic links below `root` can still lead
 * out of it: the server checks the opened file's real path with
 * {@link isInsideRoot} (or opens it with RESOLVE_BENEATH) before use.
 *
 * @param root the real directory, absolute
 * @param virtualPath a path in the virtual root, as {@link resolvePath} returns
 * @returns the real path
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `root` is not an absolute path;
 *   FtpSyntaxError (ERR_FTP_NUL_BYTE) when `virtualPath` holds a NUL byte
 */
export function virtualToReal(root: string, virtualPath: string): string {
  const base = checkRoot(root);
  const normal = resolvePath('/', virtualPath);
  const real = normal === '/' ? base : base === '/' ? normal : base + normal;
  if (!isInsideRoot(base, real)) throw new Error(`virtualToReal produced ${excerpt(real)} outside ${excerpt(base)}`);
  return real;
}

/**
 * The virtual path of a real path under `root`, or null when it lies outside.
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `root` is not an absolute path
 */
export function realToVirtual(root: string, realPath: string): string | null {
  const base = checkRoot(root);
  if (!isInsideRoot(base, realPath)) return null;
  const target = path.posix.normalize(realPath);
  if (base === '/') return resolvePath('/', target);
  return resolvePath('/', target.slice(base.length));
}

/**
 * A path as a 257 reply carries it: in double quotes, with each double quote
 * inside doubled (RFC 959 appendix II): `/a "b"` gives `"/a ""b"""`.
 */
export function quotePathname(pathname: string): string {
  return `"${pathname.replace(/"/g, '""')}"`;
}

/**
 * The path in a 257 reply's text (`"/a ""b""" is the current directory`),
 * with doubled quotes made single again.
 * @throws FtpProtocolError (ERR_FTP_PROTOCOL) when the text holds no quoted path
 */
export function parsePathnameReply(text: string): string {
  const start = text.indexOf('"');
  if (start !== -1) {
    let out = '';
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] !== '"') {
        out += text[i];
      } else if (text[i + 1] === '"') {
        out += '"';
        i++;
      } else {
        return out;
      }
    }
  }
  throw new FtpProtocolError(`no quoted path in the reply ${excerpt(text)}`);
}
