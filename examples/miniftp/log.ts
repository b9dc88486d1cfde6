// miniftp's log: one line per session start, login, transfer and end, as
// text in vsftpd's style or as JSON lines. Every process writes to the same
// O_APPEND fd (the master opens it and passes it to the workers), so lines
// from many processes never interleave.
import fs from 'node:fs';

export type LogEvent =
  | { type: 'connect'; client: string; sid: number }
  | { type: 'login'; client: string; sid: number; user: string; ok: boolean }
  | { type: 'transfer'; client: string; sid: number; user: string; direction: 'upload' | 'download'; path: string; bytes: number; seconds: number; ok: boolean }
  | { type: 'disconnect'; client: string; sid: number; user?: string }
  | { type: 'refused'; client: string; reason: string };

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
    const line = this.#json ? JSON.stringify({ time: new Date().toISOString(), pid: process.pid, ...event }) : textLine(event);
    try {
      fs.writeSync(this.#fd, `${line}\n`);
    } catch {
      // A full disk must not end sessions.
    }
  }
}

function textLine(event: LogEvent): string {
  const stamp = `${new Date().toUTCString()} [pid ${process.pid}]`;
  const who = 'user' in event && event.user ? ` [${event.user}]` : '';
  switch (event.type) {
    case 'connect':
      return `${stamp} CONNECT: Client "${event.client}", session ${event.sid}`;
    case 'login':
      return `${stamp}${who} ${event.ok ? 'OK' : 'FAIL'} LOGIN: Client "${event.client}"`;
    case 'transfer': {
      const rate = event.seconds > 0 ? (event.bytes / 1024 / event.seconds).toFixed(2) : '0.00';
      return `${stamp}${who} ${event.ok ? 'OK' : 'FAIL'} ${event.direction.toUpperCase()}: Client "${event.client}", ` +
        `${JSON.stringify(event.path)}, ${event.bytes} bytes, ${event.seconds.toFixed(3)} seconds, ${rate}Kbyte/sec`;
    }
    case 'disconnect':
      return `${stamp}${who} DISCONNECT: Client "${event.client}", session ${event.sid}`;
    case 'refused':
      return `${stamp} REFUSED: Client "${event.client}": ${event.reason}`;
  }
}
