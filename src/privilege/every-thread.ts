// Applies per-thread credential steps (capabilities, keep-caps, bounding and
// ambient sets, no_new_privs) to every thread of the process, and reads
// /proc/self/task back. Both work through a descriptor of /proc/self/task
// opened before any chroot. Privileged side.
import { native, type NativeThreadStep } from '../native.js';
import { PrivsepError, errnoError } from '../errors.js';

let taskDir = -1;

/** The fd of /proc/self/task, opened once (and kept, for use after a chroot). @throws ENOENT without /proc */
export function taskDirFd(): number {
  if (taskDir < 0) taskDir = native.openTaskDir();
  return taskDir;
}

/**
 * Runs the steps, in order, on the calling thread and then on every other
 * thread. When the calling thread refuses a step, nothing else changed and
 * its system error is thrown as is (EPERM, ...).
 * @throws system errors of the steps; ERR_PRIVSEP_THREADS_DIVERGED when another thread refused
 *   a step the calling thread took: the process is then inconsistent and should exit
 */
export function onEveryThread(steps: NativeThreadStep[]): void {
  const failures = native.everyThread(taskDirFd(), steps);
  if (failures.length === 0) return;
  const first = failures[0]!;
  const cause = errnoError(first.errno, first.syscall);
  if (failures.length === 1 && first.calling) throw cause;
  const tids = failures.map((f) => f.tid).join(', ');
  throw Object.assign(
    new PrivsepError('ERR_PRIVSEP_THREADS_DIVERGED', `threads ${tids} refused a credential change (${cause.message}); the process must exit`, { cause }),
    { threads: failures.map((f) => f.tid) },
  );
}

/** The raw /proc status text of every thread of this process. */
export function readOwnThreadStatus(): Array<{ tid: number; status: string }> {
  return native.readThreadStatus(taskDirFd());
}
