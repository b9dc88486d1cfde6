// miniftp's log: one line per session start, login, transfer, file action
// and end (the session engine's events), plus the master's refusals; text in
// vsftpd's style or JSON lines. Only the master writes it (workers send their
// events on the monitor channel), one write per line to an O_APPEND fd, and
// every field is escaped: no field can end a line or hold a terminal control.
import fs from 'node:fs';
import { escapeText, jsonLine } from './log-escape.js';
import type { SessionLogEvent } from './session/index.js';

export interface RefusedEvent {
  type: 'refused';
  time: Date;
  client: string;
  reason: string;
}

export type LogEvent = SessionLogEvent | RefusedEvent;

export class Logger {
  readonly #fd: number | null;
  readonly #json: boolean;

  /** `fd` null: logging is off. */
  constructor(fd: number | null, json: boolean) {
    this.#fd = fd;
    this.#json = json;
  }

  /** Writes one line; `pid` is the process the event happened in (default: this one). */
  write(event: LogEvent, pid: number = process.pid): void {
    if (this.#fd === null) return;
    const line = this.#json ? jsonLine({ ...event, pid }) : textLine(event, pid);
    try {
      fs.writeSync(this.#fd, `${line}\n`);
    } catch {
      // A full disk must not end sessions.
    }
  }
}

function quoted(value: string): string {
  return `"${escapeText(value, '"')}"`;
}

function textLine(event: LogEvent, pid: number): string {
  const stamp = `${event.time.toUTCString()} [pid ${pid}]`;
  if (event.type === 'refused') return `${stamp} REFUSED: Client ${quoted(event.client)}: ${escapeText(event.reason)}`;
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
    case 'end':
      return `${stamp}${who} DISCONNECT: ${client}, session ${escapeText(event.session)}: ${escapeText(event.reason)}`;
  }
}
