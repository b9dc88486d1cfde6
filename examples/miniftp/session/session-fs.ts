// The session's view of the file system: client paths resolved against the
// current directory, and, under an emulated root, mapped onto the real
// directory with every symbolic link checked so that no path leaves it.
// Runs in a worker, as the session's user.
import fs from 'node:fs';
import path from 'node:path';
import { isInsideRoot, realToVirtual, resolvePath, virtualToReal } from '../../ftp/index.js';
import { errnoError } from 'privsep';

function outsideRoot(syscall: string, where: string): NodeJS.ErrnoException {
  return errnoError('EACCES', syscall, { path: where });
}

/**
 * Paths for one session. With `root` null the process itself is chrooted
 * (or serves real paths) and the kernel keeps the session in; paths go to
 * the kernel as they are. With a root, a path the session names is mapped
 * below it, and each operation checks with realpath(3) that what it touches
 * is still inside: a symbolic link may point anywhere, so it is followed
 * only when its target lies within the root.
 *
 * The checks and the operation are separate calls: a local user who can
 * swap a directory for a symbolic link between the two could still escape.
 * A real chroot (the process side's chroot_local_user) has no such window.
 */
export class SessionFs {
  readonly root: string | null;
  readonly #view: { cwd: string; home: string };
  #realRoot: Promise<string> | null = null;

  /**
   * @param root the real directory that is "/", or null
   * @param view the session's current and home directories (read on each call)
   */
  constructor(root: string | null, view: { cwd: string; home: string }) {
    this.root = root;
    this.#view = view;
  }

  /**
   * The absolute path, in the session's view, that a client argument names:
   * relative to the current directory, `~` for the home directory, `..`
   * never above "/".
   */
  resolve(arg: string): string {
    if (arg === '~' || arg.startsWith('~/')) return resolvePath(this.#view.home, `.${arg.slice(1)}`);
    return resolvePath(this.#view.cwd, arg);
  }

  /**
   * The real path of `view`, symbolic links resolved, for reading or
   * entering it.
   * @throws ENOENT and the other realpath errors; EACCES when it leads out of the root
   */
  async follow(view: string): Promise<string> {
    if (this.root === null) return view;
    const real = await fs.promises.realpath(virtualToReal(this.root, view));
    await this.#check(real, 'realpath');
    return real;
  }

  /**
   * The real path of the entry `view` names, its last component not
   * followed: for lstat, unlink, rename, rmdir, mkdir.
   * @throws the realpath errors of its directory; EACCES when that leads out of the root
   */
  async entry(view: string): Promise<string> {
    if (this.root === null || view === '/') return this.follow(view);
    const parent = await this.follow(path.posix.dirname(view));
    return path.join(parent, path.posix.basename(view));
  }

  /**
   * Where a write to `view` goes: the entry itself, or, when it is a
   * symbolic link, its target provided that lies inside the root. A link
   * whose target does not exist is refused, since creating through it could
   * create a file anywhere.
   * @throws EACCES for a link out of the root; ENOENT for a dangling link; the errors of {@link entry}
   */
  async target(view: string): Promise<string> {
    const entry = await this.entry(view);
    if (this.root === null) return entry;
    try {
      if (!(await fs.promises.lstat(entry)).isSymbolicLink()) return entry;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return entry;
      throw err;
    }
    const real = await fs.promises.realpath(entry);
    await this.#check(real, 'open');
    return real;
  }

  /**
   * The session's view of a real path (the current directory after CWD is
   * the physical one, as getcwd gives it); null when outside the root.
   */
  async toView(real: string): Promise<string | null> {
    if (this.root === null) return real;
    return realToVirtual(await this.#rootPath(), real);
  }

  async #check(real: string, syscall: string): Promise<void> {
    if (!isInsideRoot(await this.#rootPath(), real)) throw outsideRoot(syscall, real);
  }

  #rootPath(): Promise<string> {
    this.#realRoot ??= fs.promises.realpath(this.root!);
    return this.#realRoot;
  }
}
