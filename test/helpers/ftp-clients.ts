// The real FTP clients the engine's tests drive: Python's ftplib (through
// test/fixtures/ftp_steps.py), curl and lftp, plus a raw control connection
// that sends exact bytes and reads replies with examples/ftp's parser.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { ReplyParser, type Reply } from '../../examples/ftp/index.js';
import { fixture } from './process.js';

const run = promisify(execFile);

/** What ftp_steps.py reports for one step. */
export interface StepResult {
  welcome?: string;
  reply?: string;
  error?: string;
  mark?: string;
  sha256?: string;
  bytes?: number;
  text?: string;
  abort?: string;
  after?: string | null;
  read?: number;
}

/**
 * Runs ftp_steps.py with a plan; resolves to one result per step (the first two are the welcome and the login).
 * `tls`: FTP_TLS (AUTH TLS before the login), then `prot` after it; `reuse`: PROT P data connections resume the control connection's TLS session.
 */
export async function ftplibSteps(port: number, plan: { user?: string | null; password?: string; steps: object[]; timeout?: number; tls?: boolean; prot?: 'P' | 'C'; reuse?: boolean }): Promise<StepResult[]> {
  const { stdout } = await run('python3', [fixture('ftp_steps.py'), JSON.stringify({ port, user: 'alice', password: 'secret', ...plan })], { timeout: 120_000, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as StepResult[];
}

/** The reply to ftplib's login (USER/PASS) as `user`, good or bad. */
export async function ftplibLoginReply(port: number, user: string, password: string): Promise<string> {
  const [, login] = await ftplibSteps(port, { user: null, steps: [{ op: 'login', user, password }] });
  return login!.reply ?? login!.error!;
}

/** Runs curl; resolves to its output, or rejects with its exit code and stderr. */
export async function curl(args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  return run('curl', ['--silent', '--show-error', '--max-time', String(Math.floor(timeoutMs / 1000)), ...args], { timeout: timeoutMs + 5000, maxBuffer: 64 << 20 });
}

/**
 * Runs an lftp script against the server as a user (plain FTP unless
 * `settings`, lftp `set` commands run after the defaults, say otherwise; no retries).
 */
export async function lftp(port: number, user: string, password: string, commands: string[], timeoutMs = 120_000, settings: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const script = [
    'set ftp:ssl-allow no',
    'set net:max-retries 1',
    'set net:timeout 20',
    'set cmd:fail-exit yes',
    ...settings,
    `open -u ${user},${password} -p ${port} 127.0.0.1`,
    ...commands,
    'quit',
  ].join('; ');
  return run('lftp', ['-c', script], { timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, HOME: process.env.HOME ?? '/tmp' } });
}

/** sha256 of a file, hex. */
export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A control connection that sends exact bytes and collects parsed replies. */
export class RawClient {
  readonly socket: net.Socket;
  readonly #parser = new ReplyParser();
  readonly #replies: Reply[] = [];
  #waiters: Array<() => void> = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#replies.push(...this.#parser.push(chunk));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /**
   * After a 234 to AUTH TLS: the TLS handshake over this connection (the
   * server's certificate not checked); replies and commands go on over the
   * returned client. Rejects when the handshake fails.
   */
  async startTls(): Promise<RawClient> {
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    return new RawClient(secure);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next `count` replies (bounded wait); fewer when the server closes first. */
  async replies(count: number, ms = 10_000): Promise<Reply[]> {
    const deadline = Date.now() + ms;
    while (this.#replies.length < count && !this.closed) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} replies, have ${this.#replies.map((r) => r.code).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#replies.splice(0, count);
  }

  /** Sends a command line and returns its reply. */
  async command(line: string): Promise<Reply> {
    this.send(`${line}\r\n`);
    const [reply] = await this.replies(1);
    if (!reply) throw new Error(`connection closed before the reply to ${line}`);
    return reply;
  }

  /** Resolves when the server has closed the connection (bounded). */
  async closedByServer(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** PASV on a raw client, then a connection to the port it gives. */
export async function passiveData(client: RawClient): Promise<net.Socket> {
  const reply = await client.command('PASV');
  const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
  if (reply.code !== 227 || !m) throw new Error(`PASV failed: ${reply.code} ${reply.text}`);
  const socket = net.connect(Number(m[5]) * 256 + Number(m[6]), `${m[1]}.${m[2]}.${m[3]}.${m[4]}`);
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Logs a raw client in as alice (the greeting is read first). */
export async function rawLogin(port: number, user = 'alice', password = 'secret'): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.replies(1);
  client.send(`USER ${user}\r\nPASS ${password}\r\n`);
  const [, login] = await client.replies(2);
  if (login?.code !== 230) throw new Error(`login failed: ${login?.code} ${login?.text}`);
  return client;
}
