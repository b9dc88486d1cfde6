// Socket activation: the listening sockets systemd (or systemd-socket-activate)
// opened for this process, at fds 3, 4, ... (sd_listen_fds_with_names(3)).
import fs from 'node:fs';
import { native } from '../native.js';
import { invalidArgValue } from '../errors.js';
import { FdHandle } from '../fd/fd-handle.js';
import { environmentInteger, namesThisProcess, type ServiceEnvironmentOptions } from './environment.js';

/** SD_LISTEN_FDS_START: the first fd systemd passes. */
export const LISTEN_FDS_START = 3;

/** One socket systemd passed: its FileDescriptorName= ("unknown" when none was given) and the fd. */
export interface SystemdListener {
  name: string;
  handle: FdHandle;
}

export interface ListenFdsOptions extends ServiceEnvironmentOptions {
  /** Remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES afterwards, so that children do not see them (default true). */
  unsetEnvironment?: boolean;
}

/** The most fds accepted: far beyond any unit's sockets, below any fd limit. */
const MAX_LISTEN_FDS = 4096;

/**
 * The sockets systemd passed to this process: none when LISTEN_PID is unset
 * or names another process (they were meant for a parent that exec'd us
 * without them, or for nobody). Each becomes close-on-exec, so that no child
 * inherits it. The variables are removed afterwards, whatever the outcome,
 * as sd_listen_fds(1) does.
 * Give a TCP listener to `new Acceptor([{ handle, name }])` or to a
 * HandoffMaster's `listen`; `handle.toServer()` makes a net.Server.
 * @throws TypeError (ERR_INVALID_ARG_VALUE) naming the variable for a value
 *   that is not a number, too many fds, fds that are not open, or names that
 *   do not match the count
 */
export function listenFds(options: ListenFdsOptions = {}): SystemdListener[] {
  const env = options.env ?? process.env;
  try {
    return readListenFds(env);
  } finally {
    if (options.unsetEnvironment ?? true) {
      delete env.LISTEN_PID;
      delete env.LISTEN_FDS;
      delete env.LISTEN_FDNAMES;
    }
  }
}

function readListenFds(env: NodeJS.ProcessEnv): SystemdListener[] {
  if (namesThisProcess(env, 'LISTEN_PID') !== true) return [];
  const count = environmentInteger(env, 'LISTEN_FDS', 0, MAX_LISTEN_FDS) ?? 0;
  const names = listenFdNames(env.LISTEN_FDNAMES, count);
  const fds = Array.from({ length: count }, (_, i) => LISTEN_FDS_START + i);
  for (const fd of fds) {
    try {
      fs.fstatSync(fd);
    } catch {
      throw invalidArgValue('process.env.LISTEN_FDS', env.LISTEN_FDS, `counts fd ${fd}, which is not open`);
    }
  }
  for (const fd of fds) native.setCloexec(fd, true);
  return fds.map((fd, i) => ({ name: names[i]!, handle: new FdHandle(fd) }));
}

function listenFdNames(text: string | undefined, count: number): string[] {
  if (text === undefined) return new Array<string>(count).fill('unknown');
  const names = count === 0 && text === '' ? [] : text.split(':');
  if (names.length !== count) {
    throw invalidArgValue('process.env.LISTEN_FDNAMES', text, `must hold ${count} colon-separated names, one per fd of LISTEN_FDS`);
  }
  return names;
}
