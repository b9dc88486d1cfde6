// Service notification: state changes sent to the service manager as one
// datagram on NOTIFY_SOCKET, as sd_notify(3) sends them.
import fs from 'node:fs';
import { invalidArgType, invalidArgValue } from '../errors.js';
import { connectUnixDatagram } from '../fd/unix-datagram.js';
import type { ServiceEnvironmentOptions } from './environment.js';

/**
 * Sends `state` (newline-separated assignments: "READY=1",
 * "STATUS=...", "WATCHDOG=1", ...) to NOTIFY_SOCKET, a path or an abstract
 * name written with a leading "@". The datagram is sent without waiting: a
 * manager that does not read gives EAGAIN rather than a stalled process.
 * @returns false when NOTIFY_SOCKET is unset (not run by a service manager), true once sent
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for an empty state or a
 *   NOTIFY_SOCKET that is neither a path nor an "@" name; ENOENT, ECONNREFUSED,
 *   EACCES (syscall connect) when nobody listens there; EAGAIN when its queue is full
 */
export function notify(state: string, options: ServiceEnvironmentOptions = {}): boolean {
  if (typeof state !== 'string') throw invalidArgType('state', 'of type string', state);
  if (state === '') throw invalidArgValue('state', state, 'must not be empty');
  const socket = (options.env ?? process.env).NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return false;
  if (!socket.startsWith('/') && !(socket.startsWith('@') && socket.length > 1)) {
    throw invalidArgValue('process.env.NOTIFY_SOCKET', socket, 'must be an absolute path or an abstract name starting with "@"');
  }
  const handle = connectUnixDatagram(socket.startsWith('@') ? `\0${socket.slice(1)}` : socket);
  try {
    fs.writeSync(handle.fd, Buffer.from(state));
  } finally {
    handle.close();
  }
  return true;
}

/** A STATUS= line: free text, but on one line (a newline would start another assignment). */
function statusLine(status: string | undefined): string {
  if (status === undefined) return '';
  if (typeof status !== 'string') throw invalidArgType('status', 'of type string', status);
  if (/[\n\0]/.test(status)) throw invalidArgValue('status', status, 'must be one line');
  return `\nSTATUS=${status}`;
}

/** READY=1 with MAINPID (this process) and an optional STATUS: start-up is done. */
export function notifyReady(status?: string, options: ServiceEnvironmentOptions = {}): boolean {
  return notify(`READY=1\nMAINPID=${process.pid}${statusLine(status)}`, options);
}

/** STOPPING=1: the service has begun to shut down. */
export function notifyStopping(status?: string, options: ServiceEnvironmentOptions = {}): boolean {
  return notify(`STOPPING=1${statusLine(status)}`, options);
}

/**
 * RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC now), which Type=notify-reload
 * needs (systemd 253) to tell this reload from an earlier one. Send
 * notifyReady() when the reload is done.
 */
export function notifyReloading(status?: string, options: ServiceEnvironmentOptions = {}): boolean {
  return notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicMicroseconds()}${statusLine(status)}`, options);
}

/** STATUS=...: a line systemctl status shows. */
export function notifyStatus(status: string, options: ServiceEnvironmentOptions = {}): boolean {
  return notify(statusLine(status).slice(1), options);
}

/** libuv's clock (process.hrtime) is CLOCK_MONOTONIC, the clock systemd compares with. */
export function monotonicMicroseconds(): bigint {
  return process.hrtime.bigint() / 1000n;
}
