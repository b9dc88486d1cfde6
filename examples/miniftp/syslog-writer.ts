// syslog_enable: log lines as datagrams to the system log's /dev/log, in
// the form syslog(3) sends them: "<priority>Mmm dd hh:mm:ss tag[pid]: text",
// facility FTP. Opened by the master at start; a line the daemon cannot take
// at once (EAGAIN) is dropped rather than held: sessions never wait on it.
import { connectUnixDatagram, writeNonBlocking, type FdHandle } from 'privsep';

const LOG_FTP = 11 << 3;
const LOG_WARNING = 4;
const LOG_INFO = 6;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const SYSLOG_SOCKET = '/dev/log';

/** The syslog(3) header's time: local, "Mmm dd hh:mm:ss" with the day padded by a space. */
function syslogTime(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[time.getMonth()]} ${String(time.getDate()).padStart(2, ' ')} ${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}`;
}

/** One datagram for `text`: warning when `severe` (a failed login), else info. */
export function syslogDatagram(text: string, severe: boolean, tag: string, pid: number, time: Date): Buffer {
  const priority = LOG_FTP | (severe ? LOG_WARNING : LOG_INFO);
  return Buffer.from(`<${priority}>${syslogTime(time)} ${tag}[${pid}]: ${text}`);
}

export class SyslogWriter {
  readonly #socket: FdHandle;

  /** @throws ENOENT, ECONNREFUSED, ... when `address` takes no datagrams */
  constructor(address: string = SYSLOG_SOCKET) {
    this.#socket = connectUnixDatagram(address);
  }

  write(text: string, severe: boolean): void {
    try {
      writeNonBlocking(this.#socket, syslogDatagram(text, severe, 'miniftp', process.pid, new Date()));
    } catch {
      // A daemon that is gone or full must not end sessions.
    }
  }

  close(): void {
    this.#socket.close();
  }
}
