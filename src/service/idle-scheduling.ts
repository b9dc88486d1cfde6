// SCHED_IDLE for a process that is only getting ready (a pre-started worker,
// say): the kernel runs it on CPU time nothing else wants, so starting it
// never slows the work already running.
import { native } from '../native.js';
import { checkInteger, invalidArgType } from '../errors.js';

/**
 * Puts every thread of process `pid` in the SCHED_IDLE class (`idle`), or
 * back in the normal one (SCHED_OTHER). Threads it creates later inherit the
 * class of the thread that creates them.
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad pid; ESRCH for no such process;
 *   EPERM for another user's process without CAP_SYS_NICE
 */
export function setIdleScheduling(pid: number, idle: boolean): void {
  checkInteger('pid', pid, 1, 0x7fffffff);
  if (typeof idle !== 'boolean') throw invalidArgType('idle', 'a boolean', idle);
  native.setIdleScheduling(pid, idle);
}
