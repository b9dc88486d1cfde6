// The master's monitor and control tables against a hostile worker: a real
// Master (helper, acceptor, session table, handlers) whose workers are
// test/fixtures/miniftp-fake-worker.mjs, which gives its channels to this
// test; the test then speaks the tables as a compromised worker would.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BrokerClient, BrokerServer, FdHandle, listenUnix, socketPair,
  type Broker, type Channel, type UnixServer,
} from 'privsep';
import { Master } from '../../dist/examples/miniftp/master/master.js';
import { defaultConfig } from '../../dist/examples/miniftp/config.js';
import { LoginStart, LoginVerdict, controlProtocol, monitorProtocol } from '../../dist/examples/miniftp/protocols.js';
import { loadTlsCredentials } from '../../dist/examples/miniftp/master/tls-credentials-privileged.js';
import { fixture, isAlive, waitFor } from '../helpers/process.js';
import { createUser, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';
import { missingTool } from '../helpers/tools.js';

const LIMIT = 64 * 1024;
// With openssl, the master also runs a TLS gate (a self-signed certificate made here).
const withTls = missingTool('openssl') === null;
if (!withTls) console.log(`the master's TLS requests are not tested: ${missingTool('openssl')}`);

/** One worker process of the Master, as the test drives it. */
interface FakeWorker {
  pid: number;
  kind: 'prelogin' | 'user';
  link: Channel;
  monitor: Broker<typeof monitorProtocol.requests>;
  control: BrokerServer<typeof controlProtocol.requests>;
  /** The control connections the master gave it, by sid. */
  sessions: Map<number, FdHandle>;
  verdicts: Map<number, { verdict: number; delayMs: number }>;
  /** Answer the control table's requests with BAD, as a broken worker might (and count them). */
  refuse: { value: boolean; count: number };
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(() => 'OK', (err: { code?: string }) => err.code ?? String(err));
}

describe.skipIf(!requireRoot('miniftp master tables'))('the master against a hostile worker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-tables-'));
  const workers: FakeWorker[] = [];
  const clients: net.Socket[] = [];
  let listener: UnixServer;
  let master: Master;
  let anon: TestUser;

  const prelogin = (): FakeWorker => workers.filter((w) => w.kind === 'prelogin' && isAlive(w.pid)).at(-1)!;

  function adopt(link: Channel, about: { pid: number; kind: 'prelogin' | 'user' }, monitorFd: FdHandle, controlFd: FdHandle): void {
    const sessions = new Map<number, FdHandle>();
    const verdicts = new Map<number, { verdict: number; delayMs: number }>();
    const refuse = { value: false, count: 0 };
    const unlessRefused = (): void => {
      if (!refuse.value) return;
      refuse.count++;
      throw Object.assign(new Error('refused'), { code: 'EPERM' });
    };
    const control = new BrokerServer(controlFd, controlProtocol, {
      answerNewSession: (sid: number, fd: FdHandle) => void (unlessRefused(), sessions.set(sid, new FdHandle(fd.release()))),
      answerAdoptSession: (sid: number, fd: FdHandle) => void (unlessRefused(), sessions.set(sid, new FdHandle(fd.release()))),
      answerLoginVerdict: (sid: number, verdict: number, delayMs: number) => void (unlessRefused(), verdicts.set(sid, { verdict, delayMs })),
      // A refusing worker still answers pings: it is not stuck.
      answerPing: () => {},
      answerReplaceDataChannel: () => void unlessRefused(),
      answerStats: () => '{}',
    });
    // Twice the limit, so that the test can send what the master must refuse.
    void BrokerClient.connect(monitorFd, monitorProtocol, { maxBufBytes: 2 * LIMIT }).then((monitor) => {
      workers.push({ ...about, link, monitor, control, sessions, verdicts, refuse });
    }, () => {
      // A spare the master ended (its stop at the end) before this hello: no worker to drive.
      control.close();
    });
  }

  /** Connects a client and resolves to the sid the pre-login worker got for it. */
  async function connect(): Promise<{ sid: number; client: net.Socket; worker: FakeWorker }> {
    const worker = prelogin();
    const before = new Set(worker.sessions.keys());
    const client = net.connect(master.port, '127.0.0.1');
    client.on('error', () => {});
    clients.push(client);
    await waitFor(() => [...worker.sessions.keys()].some((sid) => !before.has(sid)), 10_000, 'newSession');
    const sid = [...worker.sessions.keys()].find((s) => !before.has(s))!;
    return { sid, client, worker };
  }

  async function verdictOf(worker: FakeWorker, sid: number): Promise<{ verdict: number; delayMs: number }> {
    await waitFor(() => worker.verdicts.has(sid), 10_000, `the verdict for session ${sid}`);
    const verdict = worker.verdicts.get(sid)!;
    worker.verdicts.delete(sid);
    return verdict;
  }

  /** A session logged in as anonymous and handed over: the user worker that adopted it. */
  async function loggedIn(): Promise<{ sid: number; client: net.Socket; user: FakeWorker }> {
    const { sid, client, worker } = await connect();
    await worker.monitor.login(sid, 'anonymous', 'guest@');
    expect(await verdictOf(worker, sid)).toEqual({ verdict: LoginVerdict.ok, delayMs: 0 });
    await worker.monitor.handover(sid, worker.sessions.get(sid)!, '{}', '');
    worker.sessions.get(sid)!.close();
    worker.sessions.delete(sid);
    await waitFor(() => workers.some((w) => w.kind === 'user' && w.sessions.has(sid)), 10_000, 'adoptSession');
    return { sid, client, user: workers.find((w) => w.kind === 'user' && w.sessions.has(sid))! };
  }

  beforeAll(async () => {
    listener = listenUnix(path.join(dir, 'fake-workers.sock'));
    listener.on('connection', (link: Channel) => {
      void link.receive().then((message) => {
        const about = JSON.parse(message.data.toString()) as { pid: number; kind: 'prelogin' | 'user' };
        adopt(link, about, message.fds[0]!, message.fds[1]!);
      });
    });
    anon = createUser('mtanon', 'unused-password');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    if (withTls) execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const config = {
      ...defaultConfig(),
      listen_address: '127.0.0.1', listen_port: 0, secure_chroot_dir: dir, xferlog_enable: false,
      anonymous_enable: true, ftp_username: anon.name, max_login_fails: 3, delay_failed_login: 1,
      ...(withTls ? { ssl_enable: true, rsa_cert_file: cert, rsa_private_key_file: key, allow_anon_ssl: true } : {}),
    };
    const tls = withTls ? loadTlsCredentials(config) : null;
    master = new Master({ config, userDb: null, workerMain: fixture('miniftp-fake-worker.mjs'), tls });
    await master.start();
    await waitFor(() => workers.length > 0, 10_000, 'the pre-login worker');
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await master?.stop();
    for (const w of workers) {
      w.monitor.close();
      w.control.close();
      w.link.close();
      for (const fd of w.sessions.values()) fd.close();
    }
    listener?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    anon?.remove();
  });

  it('a login answers at once; the verdict comes on the control channel; the hand-over moves the session', async () => {
    const { user } = await loggedIn();
    expect(user.pid).not.toBe(prelogin().pid);
  });

  it('refuses the sid of another worker, and one that does not exist', async () => {
    const { sid: theirs } = await loggedIn();
    const { sid: mine, worker } = await connect();
    const user = workers.find((w) => w.kind === 'user' && w.sessions.has(theirs))!;
    expect(await codeOf(worker.monitor.login(theirs, 'anonymous', 'x'))).toBe('ESRCH');
    expect(await codeOf(worker.monitor.sessionClosed(theirs))).toBe('ESRCH');
    expect(await codeOf(user.monitor.sessionClosed(mine))).toBe('ESRCH');
    expect(await codeOf(worker.monitor.sessionClosed(0x7fffffff))).toBe('ESRCH');
    // Nothing was ended by those: the session still logs in.
    await worker.monitor.login(mine, 'anonymous', 'x');
    expect((await verdictOf(worker, mine)).verdict).toBe(LoginVerdict.ok);
  });

  it('refuses a hand-over without a good login', async () => {
    const { sid, worker } = await connect();
    const fd = worker.sessions.get(sid)!;
    expect(await codeOf(worker.monitor.handover(sid, fd, '{}', ''))).toBe('EACCES');
    await worker.monitor.login(sid, 'no-such-user-here', 'x');
    expect((await verdictOf(worker, sid)).verdict).toBe(LoginVerdict.failed);
    expect(await codeOf(worker.monitor.handover(sid, fd, '{}', ''))).toBe('EACCES');
  });

  it('forgets an approved login whose session closed before its hand-over', async () => {
    const { sid, worker } = await connect();
    await worker.monitor.login(sid, 'anonymous', 'x');
    expect((await verdictOf(worker, sid)).verdict).toBe(LoginVerdict.ok);
    await worker.monitor.sessionClosed(sid);
    expect(await codeOf(worker.monitor.handover(sid, worker.sessions.get(sid)!, '{}', ''))).toBe('ESRCH');
  });

  it('enforces the failed-login delay, one check at a time, and max_login_fails', async () => {
    const { sid, worker } = await connect();
    const first = worker.monitor.login(sid, 'no-such-user-here', 'x');
    const during = worker.monitor.login(sid, 'anonymous', 'x');
    await first;
    expect(await codeOf(during)).toBe('EBUSY');
    expect(await verdictOf(worker, sid)).toEqual({ verdict: LoginVerdict.failed, delayMs: 1000 });
    // Asking again before the delay passed counts as a failure (2 of 3).
    expect(await worker.monitor.login(sid, 'anonymous', 'x')).toBe(LoginStart.refused);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await worker.monitor.login(sid, 'no-such-user-here', 'x')).toBe(LoginStart.checking);
    expect(await verdictOf(worker, sid)).toEqual({ verdict: LoginVerdict.failedLast, delayMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await worker.monitor.login(sid, 'anonymous', 'x')).toBe(LoginStart.refusedLast);
  });

  it('refuses a second login of a session already approved', async () => {
    const { sid, worker } = await connect();
    await worker.monitor.login(sid, 'anonymous', 'x');
    expect((await verdictOf(worker, sid)).verdict).toBe(LoginVerdict.ok);
    expect(await codeOf(worker.monitor.login(sid, 'anonymous', 'x'))).toBe('EALREADY');
  });

  it('takes only the session\'s own connection for the hand-over: no pipe, no other connection', async () => {
    const { sid: other } = await connect();
    const { sid, worker } = await connect();
    await worker.monitor.login(sid, 'anonymous', 'x');
    expect((await verdictOf(worker, sid)).verdict).toBe(LoginVerdict.ok);
    const [a, b] = socketPair();
    const pipe = fs.openSync('/dev/null', 'r');
    try {
      expect(await codeOf(worker.monitor.handover(sid, a, '{}', ''))).toBe('EBADF');
      expect(await codeOf(worker.monitor.handover(sid, pipe, '{}', ''))).toBe('EBADF');
      expect(await codeOf(worker.monitor.handover(sid, worker.sessions.get(other)!, '{}', ''))).toBe('EBADF');
    } finally {
      a.close();
      b.close();
      fs.closeSync(pipe);
    }
    // The refusals changed nothing: the real connection still goes over.
    await worker.monitor.handover(sid, worker.sessions.get(sid)!, '{}', '');
    await waitFor(() => workers.some((w) => w.kind === 'user' && w.sessions.has(sid)), 10_000, 'adoptSession');
  });

  it.skipIf(!withTls)('startTls and protectData: only with the session\'s own connections, once', async () => {
    const { sid: other } = await connect();
    const { sid, worker } = await connect();
    const [a, b] = socketPair();
    try {
      expect(await codeOf(worker.monitor.startTls(sid, a))).toBe('EBADF');
      expect(await codeOf(worker.monitor.startTls(sid, worker.sessions.get(other)!))).toBe('EBADF');
      expect(await codeOf(worker.monitor.startTls(0x7fffffff, a))).toBe('ESRCH');
    } finally {
      a.close();
      b.close();
    }
    const raw = worker.sessions.get(sid)!;
    const plain = await worker.monitor.startTls(sid, raw);
    expect(fs.fstatSync(plain.fd).isSocket()).toBe(true);
    expect(await codeOf(worker.monitor.startTls(sid, raw))).toBe('EALREADY');
    await worker.monitor.login(sid, 'anonymous', 'x');
    expect((await verdictOf(worker, sid)).verdict).toBe(LoginVerdict.ok);
    // The session's connection is the plaintext end now, not the raw socket under TLS.
    expect(await codeOf(worker.monitor.handover(sid, raw, '{}', ''))).toBe('EBADF');
    await worker.monitor.handover(sid, plain, '{}', '');
    plain.close();
    worker.sessions.delete(sid);
    raw.close();
    await waitFor(() => workers.some((w) => w.kind === 'user' && w.sessions.has(sid)), 10_000, 'adoptSession');
    const user = workers.find((w) => w.kind === 'user' && w.sessions.has(sid))!;
    const [c, d] = socketPair();
    try {
      // Only a TCP connection of the session's own addresses goes to the gate.
      expect(await codeOf(user.monitor.protectData(sid, c))).toBe('EBADF');
      expect(await codeOf(user.monitor.protectData(other, c))).toBe('ESRCH');
      const { sid: clear } = await loggedIn();
      expect(await codeOf(user.monitor.protectData(clear, c))).toBe('EPERM');
    } finally {
      c.close();
      d.close();
    }
  });

  it('a worker that refuses the control table\'s requests costs only its own sessions', async () => {
    const worker = prelogin();
    worker.refuse.value = true;
    try {
      const client = net.connect(master.port, '127.0.0.1');
      clients.push(client);
      let answer = '';
      client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      client.on('error', () => {});
      await waitFor(() => answer.includes('\r\n') || client.destroyed, 10_000, 'the refusal');
      expect(answer).toMatch(/^421 /);
    } finally {
      worker.refuse.value = false;
    }
    const { sid } = await connect();
    worker.refuse.value = true;
    try {
      // A refused verdict leaves the session as the verdict made it: approved.
      const before = worker.refuse.count;
      await worker.monitor.login(sid, 'anonymous', 'x');
      await waitFor(() => worker.refuse.count > before, 10_000, 'the verdict');
    } finally {
      worker.refuse.value = false;
    }
    await worker.monitor.handover(sid, worker.sessions.get(sid)!, '{}', '');
    await waitFor(() => workers.some((w) => w.kind === 'user' && w.sessions.has(sid)), 10_000, 'adoptSession');
  });

  it('takes bufs up to the limit; one byte over closes that worker\'s channel with a clear error, and ends that worker only', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { sid: userSid, client: userClient, user } = await loggedIn();
      const { sid, worker } = await connect();
      await worker.monitor.login(sid, 'x'.repeat(LIMIT), 'y'.repeat(LIMIT));
      expect((await verdictOf(worker, sid)).verdict).toBe(LoginVerdict.failed);
      const over = worker.monitor.handover(sid, worker.sessions.get(sid)!, 'z'.repeat(LIMIT + 1), '');
      expect(await codeOf(over)).toBe('ERR_PRIVSEP_CHANNEL_CLOSED');
      await waitFor(() => errors.mock.calls.length > 0, 10_000, 'the error report');
      expect(String(errors.mock.calls[0]![0])).toMatch(
        new RegExp(`prelogin worker ${worker.pid}: monitor channel closed: request handover: item \\d+: buf of ${LIMIT + 1} bytes is over the limit of ${LIMIT}`),
      );
      await waitFor(() => !isAlive(worker.pid), 10_000, 'the broken worker to end');
      // A new pre-login worker takes new connections.
      await waitFor(() => prelogin() !== undefined && prelogin() !== worker, 10_000, 'a new pre-login worker');
      await connect();
      // The user worker's session goes on: its channel answers, its client is connected.
      expect(isAlive(user.pid)).toBe(true);
      expect(userClient.destroyed).toBe(false);
      expect(await codeOf(user.monitor.sessionClosed(userSid))).toBe('OK');
    } finally {
      errors.mockRestore();
    }
  });

  it('a user worker that asks for a pre-login request loses its channel; the other workers go on', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { sid, user } = await loggedIn();
      expect(await codeOf(user.monitor.login(sid, 'anonymous', 'x'))).toBe('ERR_PRIVSEP_CHANNEL_CLOSED');
      await waitFor(() => !isAlive(user.pid), 10_000, 'the broken worker to end');
      expect(String(errors.mock.calls[0]![0])).toMatch(/user worker \d+: monitor channel closed: request login \(id 1\) is not permitted in phase postlogin/);
      const { sid: next, worker } = await connect();
      await worker.monitor.login(next, 'anonymous', 'x');
      expect((await verdictOf(worker, next)).verdict).toBe(LoginVerdict.ok);
    } finally {
      errors.mockRestore();
    }
  });
});
