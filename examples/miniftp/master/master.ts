// miniftp's master: listens and accepts, enforces max_clients and
// max_per_ip, checks logins, starts the helper and the workers with their
// credentials, and moves each control connection from the pre-login worker
// to its user's worker. Privileged side: it runs as root; it reads only what
// workers send through the monitor table, and checks each sid against the
// worker that sends it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Acceptor, BrokerClient, FdHandle, localAddress, resolveIdentity, socketPair, spawnWithCredentials, decodePeer,
  type AcceptedConnection, type Broker, type CredentialedProcess,
} from 'privsep';
import type { MiniftpConfig } from '../config-table.js';
import type { UserDb } from '../user-db.js';
import { Logger } from '../log.js';
import { helperControlProtocol, type HelperSettings, type SessionAddresses } from '../helper/protocols.js';
import type { WorkerIdentity } from '../protocols.js';
import { authenticate, identityKey } from './authenticate-privileged.js';
import { giveUpload, type UploadOwner } from './chown-upload-privileged.js';
import { SessionTable, type SessionRecord } from './session-table.js';
import { collectStats, parseHeapStats, type ProcessStats, type StatsSource } from './process-stats.js';
import { heapStats } from '../heap-stats.js';
import { LIGHT_NODE_FLAGS, NODE_FLAGS, WorkerProcess, type MonitorHandlers, type WorkerSpec } from './worker-process.js';

const helperMain = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helper', 'nobody-helper.js');
// A user worker with no session left lingers this long for the next login.
const USER_WORKER_IDLE_MS = 30_000;

function refuse(fd: number, reply: string): void {
  const handle = new FdHandle(fd);
  try {
    fs.writeSync(fd, reply);
  } catch {
    // The client is gone already.
  }
  handle.close();
}

function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface MasterOptions {
  config: MiniftpConfig;
  userDb: UserDb | null;
  /** Put workers in an empty network namespace (needs root; default true). */
  isolateNetwork?: boolean;
}

export class Master {
  readonly config: MiniftpConfig;
  readonly log: Logger;
  readonly #userDb: UserDb | null;
  readonly #isolateNetwork: boolean;
  readonly #sessions: SessionTable;
  readonly #userWorkers = new Map<string, WorkerProcess>();
  readonly #workersByPid = new Map<number, WorkerProcess>();
  // Logins approved and not yet handed over, by sid.
  readonly #approved = new Map<number, WorkerIdentity>();
  #acceptor: Acceptor | null = null;
  #prelogin: WorkerProcess | null = null;
  #helper: { process: CredentialedProcess; broker: Promise<Broker<typeof helperControlProtocol.requests>> } | null = null;
  #nopriv: WorkerIdentity | null = null;
  // chown_uploads: whom anonymous uploads go to (null: not set).
  #uploadOwner: UploadOwner | null = null;
  #stopping = false;

  constructor(options: MasterOptions) {
    this.config = options.config;
    this.#userDb = options.userDb;
    this.#isolateNetwork = options.isolateNetwork ?? true;
    this.#sessions = new SessionTable(options.config.max_clients, options.config.max_per_ip);
    this.log = new Logger(openLog(options.config), options.config.log_json);
  }

  /** The port it listens on (useful with listen_port=0). */
  get port(): number {
    return this.#acceptor?.sockets[0]?.port ?? 0;
  }

  /** pids of the helper, the pre-login worker and the user workers. */
  processes(): { helper: number | null; prelogin: number | null; users: number[] } {
    return {
      helper: this.#helper?.process.pid ?? null,
      prelogin: this.#prelogin?.pid ?? null,
      users: [...this.#userWorkers.values()].map((w) => w.pid),
    };
  }

  /**
   * The memory of every process: heap numbers from each (after a full
   * collection when they run with --expose-gc), rss and fds from /proc.
   */
  stats(): Promise<ProcessStats[]> {
    const sources: StatsSource[] = [{
      role: 'master', pid: process.pid, sessions: this.#sessions.size, heap: heapStats,
      extra: { approved: this.#approved.size, workers: this.#workersByPid.size },
    }];
    const helper = this.#helper;
    if (helper) sources.push({ role: 'helper', pid: helper.process.pid, heap: async () => parseHeapStats(await (await helper.broker).stats()) });
    for (const worker of this.#workersByPid.values()) {
      sources.push({
        role: worker.spec.kind, pid: worker.pid, sessions: worker.sessions.size,
        ...(worker.spec.kind === 'user' ? { user: worker.spec.identity.user } : {}),
        heap: async () => parseHeapStats(await (await worker.control).stats()),
      });
    }
    return collectStats(sources);
  }

  /** Starts the helper and the pre-login worker, then listens. */
  async start(): Promise<void> {
    const c = this.config;
    const nopriv = await resolveIdentity(c.nopriv_user);
    this.#nopriv = { user: c.nopriv_user, uid: nopriv.uid, gid: nopriv.gid, groups: [nopriv.gid], chroot: c.secure_chroot_dir, home: '/', anonymous: false };
    fs.mkdirSync(c.secure_chroot_dir, { recursive: true, mode: 0o755 });
    if (c.chown_uploads) this.#uploadOwner = await uploadOwner(c);
    this.#startHelper();
    await this.#helper!.broker;
    this.#prelogin = this.#startWorker('prelogin', this.#nopriv);
    await this.#prelogin.control;
    this.#acceptor = new Acceptor([{ host: c.listen_address, port: c.listen_port, ipv6Only: !c.listen_ipv6 || c.listen_address !== '::' }]);
    this.#acceptor.on('connections', (batch) => {
      for (const connection of batch) void this.#onConnection(connection);
    });
  }

  /** Stops listening and ends every process it started. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#acceptor?.close();
    const exits: Promise<unknown>[] = [];
    for (const worker of this.#workersByPid.values()) {
      exits.push(worker.process.exited);
      worker.stop();
    }
    if (this.#helper) {
      exits.push(this.#helper.process.exited);
      this.#helper.process.kill('SIGKILL');
    }
    await Promise.all(exits);
  }

  #startHelper(): void {
    const c = this.config;
    const [mine, theirs] = socketPair();
    const nopriv = this.#nopriv!;
    const proc = spawnWithCredentials(process.execPath, [...NODE_FLAGS, ...LIGHT_NODE_FLAGS, helperMain], {
      uid: nopriv.uid, gid: nopriv.gid, groups: [],
      capabilities: ['CAP_NET_BIND_SERVICE'],
      fds: { 3: theirs },
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
    });
    theirs.close();
    const settings: HelperSettings = {
      pasvMinPort: c.pasv_min_port, pasvMaxPort: c.pasv_max_port,
      pasvPromiscuous: c.pasv_promiscuous, portPromiscuous: c.port_promiscuous,
      connectFromPort20: c.connect_from_port_20, ftpDataPort: c.ftp_data_port,
      acceptTimeoutMs: c.accept_timeout * 1000, connectTimeoutMs: c.connect_timeout * 1000,
    };
    const broker = BrokerClient.connect(mine, helperControlProtocol, { timeout: 30_000 }).then(async (b) => {
      await b.configure(JSON.stringify(settings));
      return b;
    });
    this.#helper = { process: proc, broker };
    void proc.exited.then(() => {
      // Without its helper no session can transfer data: start a new one.
      if (!this.#stopping) this.#startHelper();
    });
  }

  #startWorker(kind: 'prelogin' | 'user', identity: WorkerIdentity): WorkerProcess {
    const spec: WorkerSpec = { kind, config: this.config, identity, isolateNetwork: this.#isolateNetwork };
    const worker: WorkerProcess = new WorkerProcess(spec, this.#monitorHandlers(() => worker), this.log.fd);
    this.#workersByPid.set(worker.pid, worker);
    void worker.process.exited.then(() => this.#onWorkerExit(worker));
    return worker;
  }

  #onWorkerExit(worker: WorkerProcess): void {
    this.#workersByPid.delete(worker.pid);
    worker.stop();
    for (const record of this.#sessions.heldBy(worker.pid)) this.#endSession(record);
    if (worker === this.#prelogin && !this.#stopping) {
      this.#prelogin = this.#startWorker('prelogin', this.#nopriv!);
    }
    for (const [key, w] of this.#userWorkers) if (w === worker) this.#userWorkers.delete(key);
  }

  #endSession(record: SessionRecord): void {
    if (!this.#sessions.remove(record.sid)) return;
    // A client that left between its login and the hand-over.
    this.#approved.delete(record.sid);
    const worker = record.workerPid === null ? undefined : this.#workersByPid.get(record.workerPid);
    if (!worker) return;
    worker.sessions.delete(record.sid);
    if (worker.spec.kind === 'user' && worker.sessions.size === 0 && !worker.idleTimer) {
      worker.idleTimer = setTimeout(() => {
        worker.idleTimer = null;
        if (worker.sessions.size === 0) {
          this.#userWorkers.delete(identityKey(worker.spec.identity));
          worker.stop();
        }
      }, USER_WORKER_IDLE_MS);
      worker.idleTimer.unref();
    }
  }

  async #onConnection(connection: AcceptedConnection): Promise<void> {
    const client = decodePeer(connection.peer, 0).address;
    const admitted = this.#sessions.admit(client, localAddress(connection.fd).address);
    if (!admitted.ok) {
      this.log.write({ type: 'refused', time: new Date(), client, reason: admitted.reason });
      refuse(connection.fd, admitted.reason === 'max_clients'
        ? '421 There are too many connected users, please try later.\r\n'
        : '421 There are too many connections from your internet address.\r\n');
      return;
    }
    const record = admitted.record;
    const control = new FdHandle(connection.fd);
    const prelogin = this.#prelogin;
    try {
      if (!prelogin) throw failure('ESRCH', 'no pre-login worker');
      record.workerPid = prelogin.pid;
      prelogin.sessions.add(record.sid);
      const addresses: SessionAddresses = { clientAddress: client, localAddress: record.localAddress };
      await (await prelogin.control).newSession(record.sid, control, JSON.stringify(addresses));
    } catch {
      refuse(control.release(), '421 Service not available, closing control connection.\r\n');
      this.#endSession(record);
      return;
    }
    control.close();
  }

  // Every handler checks that the sid it is given belongs to the worker asking.
  #monitorHandlers(self: () => WorkerProcess): MonitorHandlers {
    const owned = (sid: number): SessionRecord => {
      const record = this.#sessions.get(sid);
      if (!record || record.workerPid !== self().pid) throw failure('ESRCH', `session ${sid} is not this worker's`);
      return record;
    };
    return {
      answerLogin: async (sid: number, user: Buffer, password: Buffer) => {
        const record = owned(sid);
        if (record.stage !== 'prelogin') throw failure('EALREADY', 'login already done');
        if (record.loginFails >= this.config.max_login_fails) throw failure('ECONNABORTED', 'too many failed logins');
        const name = user.toString();
        const identity = await authenticate(this.config, this.#userDb, name, password.toString()).catch(() => null);
        if (!identity) {
          record.loginFails++;
          await new Promise((r) => setTimeout(r, this.config.delay_failed_login * 1000));
          throw failure(record.loginFails >= this.config.max_login_fails ? 'ECONNABORTED' : 'EACCES', 'login incorrect');
        }
        record.stage = 'approved';
        record.user = identity.user;
        this.#approved.set(sid, identity);
      },
      answerHandover: (sid: number, control, state: Buffer, unread: Buffer) => {
        const record = owned(sid);
        const identity = this.#approved.get(sid);
        if (record.stage !== 'approved' || !identity) throw failure('EACCES', 'handover without a good login');
        this.#approved.delete(sid);
        record.stage = 'moving';
        self().sessions.delete(sid);
        const fd = new FdHandle(control.release());
        void this.#moveToUserWorker(record, identity, fd, Buffer.from(state), Buffer.from(unread));
      },
      answerSessionClosed: (sid: number) => {
        this.#endSession(owned(sid));
      },
      answerChownUpload: async (sid: number, file: FdHandle) => {
        const record = owned(sid);
        const identity = self().spec.identity;
        if (record.stage !== 'postlogin' || !identity.anonymous) throw failure('EACCES', 'chown_uploads applies to anonymous sessions only');
        if (!this.#uploadOwner) throw failure('EACCES', 'chown_uploads is not set');
        await giveUpload(file, identity.uid, this.#uploadOwner);
      },
    };
  }

  async #moveToUserWorker(record: SessionRecord, identity: WorkerIdentity, control: FdHandle, state: Buffer, unread: Buffer): Promise<void> {
    const [helperEnd, workerEnd] = socketPair();
    try {
      const key = identityKey(identity);
      let worker = this.#userWorkers.get(key);
      if (!worker) {
        worker = this.#startWorker('user', identity);
        this.#userWorkers.set(key, worker);
      }
      if (worker.idleTimer) {
        clearTimeout(worker.idleTimer);
        worker.idleTimer = null;
      }
      const addresses: SessionAddresses = { clientAddress: record.client, localAddress: record.localAddress };
      record.workerPid = worker.pid;
      worker.sessions.add(record.sid);
      record.stage = 'postlogin';
      // Both at once: a data request the worker makes before the helper knows
      // the session just waits in the channel.
      const helper = await this.#helper!.broker;
      const userWorker = await worker.control;
      await Promise.all([
        helper.openSession(helperEnd, JSON.stringify(addresses)),
        userWorker.adoptSession(record.sid, control, workerEnd, state, unread),
      ]);
    } catch {
      refuse(control.release(), '421 Service not available, closing control connection.\r\n');
      this.#endSession(record);
    } finally {
      helperEnd.close();
      workerEnd.close();
      control.close();
    }
  }
}

// chown_username, resolved once; a uid 0 account would make anonymous uploads root's files.
async function uploadOwner(config: MiniftpConfig): Promise<UploadOwner> {
  const id = await resolveIdentity(config.chown_username).catch((err: Error) => {
    throw new Error(`chown_username ${config.chown_username}: ${err.message}`);
  });
  if (id.uid === 0) throw new Error(`chown_username ${config.chown_username} is uid 0; chown_uploads needs an account that is not root`);
  return { uid: id.uid, mode: config.chown_upload_mode };
}

function openLog(config: MiniftpConfig): number | null {
  if (!config.xferlog_enable) return null;
  if (config.vsftpd_log_file === '-') return 1;
  return fs.openSync(config.vsftpd_log_file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
}
