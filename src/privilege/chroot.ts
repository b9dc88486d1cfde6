// chroot for the running process, done as vsftpd does it: chdir into the
// new root, chroot("."), so that no directory outside stays reachable
// through the working directory. Privileged side (needs CAP_SYS_CHROOT).
import path from 'node:path';
import { native } from '../native.js';
import { invalidArgType, invalidArgValue } from '../errors.js';
import { taskDirFd } from './every-thread.js';

/**
 * Makes `root` the root directory of the process and its working
 * directory. /proc/self/task stays readable for this library (it opens it
 * first), but nothing else outside `root` does: load every module the
 * process will need before calling it. Main thread only (process.chdir).
 * @throws EPERM without CAP_SYS_CHROOT; ENOENT, ENOTDIR, EACCES for `root`
 */
export function chroot(root: string): void {
  if (typeof root !== 'string') throw invalidArgType('root', 'of type string', root);
  if (!path.isAbsolute(root) || root.includes('\0')) throw invalidArgValue('root', root, 'must be an absolute path');
  taskDirFd();
  process.chdir(root);
  native.chroot('.');
  // Refreshes the working directory Node caches: it is "/" now.
  process.chdir('/');
}
