// A single-process miniftp for the engine's tests: FtpSessions on a TCP
// listener on 127.0.0.1, LocalDataConnector for data sockets, emulated roots
// in a temp dir, logins from a table, and hand-overs to a second FtpSession
// built from the detached fd, as a user worker would.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FdHandle } from 'privsep';
import {
  FtpSession,
  LocalDataConnector,
  engineOptions,
  parseSessionState,
  type EngineOptions,
  type LoginAnswer,
  type SessionHost,
  type SessionLogEvent,
  type SessionState,
} from '../../examples/miniftp/session/index.js';

export interface TestUser {
  password: string;
  /** The user's root, relative to the harness's base directory. */
  root: string;
  anonymous?: boolean;
}

export const DEFAULT_USERS: Readonly<Record<string, TestUser>> = {
  alice: { password: 'secret', root: 'alice' },
  bob: { password: 'builder', root: 'bob' },
  anonymous: { password: '', root: 'pub', anonymous: true },
  ftp: { password: '', root: 'pub', anonymous: true },
};

export interface HarnessOptions {
  options?: Partial<EngineOptions>;
  users?: Record<string, TestUser>;
  /** Hand logged-in sessions to a second FtpSession (default true), as to a user worker. */
  handover?: boolean;
  /** delay_failed_login, as the master applies it (default 0 in tests). */
  loginDelayMs?: number;
  /** What the host does for chown_uploads (the master's fchown, in the real server). */
  chownUpload?: SessionHost['chownUpload'];
}

export interface Harness {
  host: string;
  port: number;
  /** The base directory; each user's root is a directory below it. */
  base: string;
  options: EngineOptions;
  events: SessionLogEvent[];
  /** Sessions not yet done. */
  live: Set<FtpSession>;
  handovers: number;
  /** The real path of a file in a user's root. */
  file(user: string, relative: string): string;
  /** Resolves when no session is left (bounded). */
  settled(ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the harness on 127.0.0.1 with a fresh base directory holding each user's root. */
export async function startHarness(config: HarnessOptions = {}): Promise<Harness> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-engine-'));
  const users = config.users ?? DEFAULT_USERS;
  for (const user of Object.values(users)) fs.mkdirSync(path.join(base, user.root), { recursive: true });
  const options = engineOptions({ anonymousEnable: true, writeEnable: true, idleSessionTimeout: 60, ...config.options });
  const events: SessionLogEvent[] = [];
  const live = new Set<FtpSession>();
  const sockets = new Set<net.Socket>();
  let handovers = 0;

  const track = (session: FtpSession, socket: net.Socket): void => {
    live.add(session);
    sockets.add(socket);
    void session.done.then(() => {
      live.delete(session);
      sockets.delete(socket);
    });
  };

  const hostFor = (socket: net.Socket, phase: 'prelogin' | 'postlogin'): SessionHost => {
    const host: SessionHost = {
      options,
      data: new LocalDataConnector(socket.remoteAddress!, socket.localAddress!, options),
      log: (event) => events.push(event),
    };
    if (config.chownUpload) host.chownUpload = config.chownUpload;
    if (phase === 'prelogin') {
      host.login = async (name: string, password: string): Promise<LoginAnswer> => {
        const user = Object.hasOwn(users, name) ? users[name] : undefined;
        const ok = user !== undefined && (user.anonymous ? options.anonymousEnable : user.password === password);
        if (!ok) {
          await new Promise((resolve) => setTimeout(resolve, config.loginDelayMs ?? 0));
          return { ok: false };
        }
        return { ok: true, user: user.anonymous ? 'ftp' : name, anonymous: user.anonymous ?? false, root: path.join(base, user.root), home: '/' };
      };
      if (config.handover ?? true) {
        host.handover = (control: FdHandle, state: SessionState, unread: Buffer): void => {
          handovers++;
          // As between processes: the state travels as JSON and is checked on arrival.
          const carried = parseSessionState(JSON.parse(JSON.stringify(state)));
          setImmediate(() => {
            const next = control.toSocket();
            track(new FtpSession(next, hostFor(next, 'postlogin'), 'postlogin', carried, Buffer.from(unread)), next);
          });
        };
      }
    }
    return host;
  };

  const server = net.createServer((socket) => track(new FtpSession(socket, hostFor(socket, 'prelogin'), 'prelogin'), socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const settled = async (ms = 10_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (live.size > 0) {
      if (Date.now() > deadline) throw new Error(`${live.size} sessions still open after ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  return {
    host: '127.0.0.1',
    port,
    base,
    options,
    events,
    live,
    get handovers() {
      return handovers;
    },
    file: (user, relative) => path.join(base, users[user]!.root, relative),
    settled,
    async stop() {
      // close() resolves once every connection has gone, so the sessions are ended first.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...live].map((session) => session.close()));
      for (const socket of sockets) socket.destroy();
      await settled(5000).catch(() => {});
      await closed;
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
