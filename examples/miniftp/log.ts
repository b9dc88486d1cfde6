// miniftp's logs: one line per session start, login, transfer, file action,
// end (the session engine's events) and, with log_ftp_protocol, command and
// reply, plus the master's refusals; text in vsftpd's style (to a file or the
// system log) or JSON lines; and the xferlog-format transfer log. Only the master writes it (workers send their
// events on the monitor channel), one write per line to an O_APPEND fd, and
// every field is escaped: no field can end a line or hold a terminal control.
import fs from 'node:fs';
import { escapeText, jsonLine } from './log-escape.js';
import { ctimeStamp } from './log-time.js';
import type { SyslogWriter } from './syslog-writer.js';
import { xferlogLine, type AccessMode } from './xferlog-line.js';
import type { SessionLogEvent } from './session/index.js';

export interface RefusedEvent {
  type: 'refused';
  time: Date;
  client: string;
  reason: string;
}

/** The master read its configuration again (SIGHUP): what changed, or why the old settings stay. */
export interface ReloadEvent {
  type: 'reload';
  time: Date;
  ok: boolean;
  text: string;
}

export type LogEvent = SessionLogEvent | RefusedEvent | ReloadEvent;

/** Where the log lines go; each null when off. */
export interface LogSinks {
  /** The vsftpd-style log (vsftpd_log_file), text or JSON lines. */
  vsftpdFd: number | null;
  /** The vsftpd-style log to the system log instead (syslog_enable). */
  syslog: SyslogWriter | null;
  /** The xferlog-format transfer log (xferlog_file). */
  xferlogFd: number | null;
  /** log_ftp_protocol: commands and replies go to the vsftpd-style log. */
  protocol: boolean;
  json: boolean;
  /** use_localtime: time stamps in the server's time zone. */
  localTime: boolean;
}

export class Logger {
  readonly #sinks: LogSinks;

  constructor(sinks: LogSinks) {
    this.#sinks = sinks;
  }

  /**
   * Writes `event` to each log it belongs in; `pid` is the process it
   * happened in (default: this one), `access` how its session logged in.
   */
  write(event: LogEvent, pid: number = process.pid, access: AccessMode = 'r'): void {
    const { vsftpdFd, syslog, xferlogFd, protocol, json, localTime } = this.#sinks;
    if (event.type === 'protocol' && !protocol) return;
    if (vsftpdFd !== null) {
      const line = json ? jsonLine({ ...event, pid }) : `${ctimeStamp(event.time, localTime)} ${textLine(event, pid)}`;
      append(vsftpdFd, line);
    }
    if (syslog !== null) syslog.write(textLine(event, pid), (event.type === 'login' || event.type === 'reload') && !event.ok);
    if (xferlogFd !== null && event.type === 'transfer') append(xferlogFd, xferlogLine(event, access, localTime));
  }

  /** Closes the log files (not standard output) and the system log's socket: a reload opened others. */
  close(): void {
    for (const fd of [this.#sinks.vsftpdFd, this.#sinks.xferlogFd]) if (fd !== null && fd > 2) fs.closeSync(fd);
    this.#sinks.syslog?.close();
  }
}

function append(fd: number, line: string): void {
  try {
    fs.writeSync(fd, `${line}\n`);
  } catch {
    // A full disk must not end sessions.
  }
}

function quoted(value: string): string {
  return `"${escapeText(value, '"')}"`;
}

// A vsftpd-style line without its time stamp (the system log has its own).
function textLine(event: LogEvent, pid: number): string {
  const stamp = `[pid ${pid}]`;
  if (event.type === 'refused') return `${stamp} REFUSED: Client ${quoted(event.client)}: ${escapeText(event.reason)}`;
  if (event.type === 'reload') return `${stamp} ${event.ok ? 'OK' : 'FAIL'} RELOAD: ${escapeText(event.text)}`;
  const who = event.user ? ` [${escapeText(event.user, '[]')}]` : '';
  const client = `Client ${quoted(event.client)}`;
  switch (event.type) {
    case 'connect':
      return `${stamp} CONNECT: ${client}, session ${escapeText(event.session)}`;
    case 'login':
      return `${stamp}${who} ${event.ok ? 'OK' : 'FAIL'} LOGIN: ${client}${event.anonymous ? ', anon' : ''}`;
    case 'transfer': {
      const rate = event.seconds > 0 ? (event.bytes / 1024 / event.seconds).toFixed(2) : '0.00';
      const result = event.result === 'ok' ? 'OK' : event.result === 'aborted' ? 'ABORTED' : 'FAIL';
      return `${stamp}${who} ${result} ${event.direction.toUpperCase()}: ${client}, ${quoted(event.path)}, ` +
        `${event.bytes} bytes, ${event.seconds.toFixed(3)} seconds, ${rate}Kbyte/sec, ${event.mode}`;
    }
    case 'action':
      return `${stamp}${who} ${event.ok ? 'OK' : 'FAIL'} ${event.action.toUpperCase()}: ${client}, ${quoted(event.path)}`;
    case 'protocol':
      return `${stamp}${who} FTP ${event.direction === 'command' ? 'command' : 'response'}: ${client}, ${quoted(event.text)}`;
    case 'end':
      return `${stamp}${who} DISCONNECT: ${client}, session ${escapeText(event.session)}: ${escapeText(event.reason)}`;
  }
}
