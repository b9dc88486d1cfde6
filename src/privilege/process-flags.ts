// prctl flags of the process: no_new_privs (per thread in the kernel, so set
// on every thread here) and dumpable (a property of the whole process).
import { native } from '../native.js';
import { invalidArgType } from '../errors.js';
import { onEveryThread } from './every-thread.js';

/**
 * Sets no_new_privs on every thread, for good: execve can no longer grant
 * privileges (setuid/setgid bits and file capabilities are ignored). Any
 * process may set it; nothing can clear it.
 * @throws ERR_PRIVSEP_THREADS_DIVERGED
 */
export function setNoNewPrivs(): void {
  onEveryThread([{ op: 'noNewPrivs' }]);
}

/** Whether no_new_privs is set on the calling thread. */
export function getNoNewPrivs(): boolean {
  return native.getNoNewPrivs();
}

/**
 * Sets whether the process may dump core and be ptrace-attached by its
 * own uid. The kernel clears it whenever credentials change.
 * @throws ERR_INVALID_ARG_TYPE
 */
export function setDumpable(on: boolean): void {
  if (typeof on !== 'boolean') throw invalidArgType('on', 'of type boolean', on);
  native.setDumpable(on);
}

/** Whether the process is dumpable. */
export function getDumpable(): boolean {
  return native.getDumpable();
}
