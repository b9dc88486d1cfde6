// miniftp's log: one line per session start, login, transfer, file action
// and end (the session engine's events), plus the master's refusals; text in
// vsftpd's style or JSON lines. Every process writes to the same O_APPEND fd
// (the master opens it and passes it to the workers as fd 5), one write per
// line, so lines from many processes never interleave.
import fs from 'node:fs';
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

  get fd(): number | null {
    return this.#fd;
  }

  write(event: LogEvent): void {
    if (this.#fd === null) return;
    const line = this.#json ? JSON.stringify({ ...event, pid: process.pid }) : textLine(event);
    try {
      fs.writeSync(this.#fd, `${line}\n`);
    } catch {
      // A full disk must not end sessions.
    }
  }
}

function textLine(event: LogEvent): string {
  const stamp = `${event.time.toUTCString()} [pid ${process.pid}]`;
  if (event.type === 'refused') return `${stamp} REFUSED: Client "${event.client}": ${event.reason}`;
  const who = event.user ? ` [${event.user}]` : '';
  const client = `Client "${event.client}"`;
  switch (event.type) {
    case 'connect':
      return `${stamp} CONNECT: ${client}, session ${event.session}`;
    case 'login':
      return `${stamp}${who} ${event.ok ? 'OK' : 'FAIL'} LOGIN: ${client}${event.anonymous ? ', anon' : ''}`;
    case 'transfer': {
      const rate = event.seconds > 0 ? (event.bytes / 1024 / event.seconds).toFixed(2) : '0.00';
      const result = event.result === 'ok' ? 'OK' : event.result === 'aborted' ? 'ABORTED' : 'FAIL';
      return `${stamp}${who} ${result} ${event.direction.toUpperCase()}: ${client}, ${JSON.stringify(event.path)}, ` +
        `${event.bytes} bytes, ${event.seconds.toFixed(3)} seconds, ${rate}Kbyte/sec, ${event.mode}`;
    }
    case 'action':
      return `${stamp}${who} ${event.ok ? 'OK' : 'FAIL'} ${event.action.toUpperCase()}: ${client}, ${JSON.stringify(event.path)}`;
    case 'end':
      return `${stamp}${who} DISCONNECT: ${client}, session ${event.session}: ${event.reason}`;
  }
}
