// A NOTIFY_SOCKET of the test's own, as systemd binds one for a Type=notify
// service: a unix datagram socket at a path (or an abstract name) whose
// datagrams the test reads one by one.
import fs from 'node:fs';
import path from 'node:path';
import { FdHandle, receiveRaw } from '../../src/index.js';
import { native } from '../../src/native.js';

export interface NotifySocket {
  /** What goes in NOTIFY_SOCKET: the path, or "@name". */
  readonly address: string;
  /** The next datagram, as text. @throws ETIMEDOUT after timeoutMs */
  next(timeoutMs?: number): Promise<string>;
  /** Reads datagrams until one has `assignment` as a line; resolves to that datagram. */
  waitFor(assignment: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Binds at `dir`/notify, or at an abstract name when `abstractName` is given. */
export function bindNotifySocket(dir: string, abstractName?: string): NotifySocket {
  const socketPath = path.join(dir, 'notify');
  const handle = new FdHandle(native.unixSocket(native.SOCK_DGRAM));
  native.bindUnix(handle.fd, Buffer.from(abstractName ?? socketPath), abstractName !== undefined);
  const next = async (timeoutMs = 30_000): Promise<string> => (await receiveRaw(handle, { timeoutMs })).data.toString();
  return {
    address: abstractName !== undefined ? `@${abstractName}` : socketPath,
    next,
    async waitFor(assignment, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (let i = 0; i < 100; i++) {
        const datagram = await next(Math.max(1, deadline - Date.now()));
        if (datagram.split('\n').includes(assignment)) return datagram;
      }
      throw new Error(`no ${assignment} among 100 datagrams`);
    },
    close() {
      handle.close();
      if (abstractName === undefined) fs.rmSync(socketPath, { force: true });
    },
  };
}
