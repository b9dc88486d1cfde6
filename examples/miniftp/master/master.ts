// miniftp's master: listens and accepts, enforces max_clients and
// max_per_ip, checks logins, starts the helper and the workers with their
// credentials, and moves each control connection from the pre-login worker
// to its user's worker; pings every child and replaces one that is dead or
// stuck (a new helper gets the data channels of every live session); writes
// the log for all of them. Privileged side: it runs as root; it reads only what
// workers send through the monitor table, and checks each sid against the
// worker that sends it.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Acceptor, BrokerClient, decodePeer, FdHandle, FdPoller, isErrnoError, localAddress, refusal, remoteAddress, resolveIdentity, socketPair, type AcceptedConnection, type Broker, type InheritedListener } from 'privsep';
import { ReplyCode, formatReply, normalizeAddress } from '../../ftp/index.js';
import { engineSettingsFromTable, helperSettings, type MiniftpConfig } from '../config-table.js';
import { settingError } from '../config.js';
import type { UserDb } from '../user-db.js';
import { Logger, type LogSinks } from '../log.js';
import { logPlan } from '../log-plan.js';
import { SYSLOG_SOCKET, SyslogWriter } from '../syslog-writer.js';
import { helperControlProtocol, type SessionAddresses } from '../helper/protocols.js';
import { gateControlProtocol } from '../gate/protocols.js';
import type { GateSettings } from '../gate/gate-settings.js';
import { LoginStart, LoginVerdict, type WorkerIdentity, type WorkerSpec } from '../protocols.js';
import type { ConnectionInfo } from '../session/index.js';
import { authenticate, identityKey } from './authenticate-privileged.js';
import { isRefusedByUserList } from './login-lists.js';
import { PamSessions, close as closePam } from './pam-sessions-privileged.js';
import { tlsPolicyRefusal } from '../tls-policy.js';
import { giveUpload, type UploadOwner } from './chown-upload-privileged.js';
import { PingSupervisor, type PingTarget } from './ping-supervisor.js';
import { SessionTable, type SessionRecord } from './session-table.js';
import { parseWorkerEvent } from './worker-log-privileged.js';
import { collectStats, parseHeapStats, type ProcessStats, type StatsSource } from './process-stats.js';
import { heapStats } from '../heap-stats.js';
import { LIGHT_NODE_FLAGS, WorkerProcess, type MonitorHandlers } from './worker-process.js';
import { SparePool } from './spare-pool.js';
import { SpareWorker } from './spare-worker.js';
import { userSettings } from './user-config-privileged.js';
import { spawnSupport, type SupportProcess } from './support-process.js';
import { ProxyHeaders } from '../proxy-headers.js';
import { TrustedProxies } from '../proxy-trust.js';
import { controlListener } from './control-listener.js';
import { LoginTurns } from './login-turns.js';
import { SYSTEMD_LISTENER_NAME } from '../systemd-listener.js';
import { reloadPlan, type ReloadResult } from './config-reload.js';
import { RetiredProcesses } from './retired-processes.js';
import type { LoadedConfig } from '../load-config.js';

const helperMain = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helper', 'nobody-helper.js');
const gateMain = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'gate', 'tls-gate.js');
// A user worker with no session left lingers this long for the next login.
const USER_WORKER_IDLE_MS = 30_000;
const PRELOGIN_RETRY_MS = 1000;
// The worker starts a session's failed-login delay when the verdict reaches it,
// a little after the master starts counting; timers there round to the millisecond.
const LOGIN_DELAY_SLACK_MS = 10;
// A helper that dies at once is started again at most this often.
const HELPER_RESTART_MS = 1000;

type HelperBroker = Broker<typeof helperControlProtocol.requests>;
type GateBroker = Broker<typeof gateControlProtocol.requests>;

type HelperProcess = SupportProcess<HelperBroker>;
type GateProcess = SupportProcess<GateBroker>;

/** Answers a connection it will not serve with a 421 and closes it. */
function refuse(fd: number, text: string): void {
  const handle = new FdHandle(fd);
  try {
    fs.writeSync(fd, formatReply(ReplyCode.ServiceNotAvailable, text));
  } catch {
    // The client is gone already.
  }
  handle.close();
}

export interface MasterOptions {
  config: MiniftpConfig;
  userDb: UserDb | null;
  /** Put workers in an empty network namespace (needs root; default true). */
  isolateNetwork?: boolean;
  /** The workers' script (default: miniftp's; tests give a stand-in that speaks the same tables). */
  workerMain?: string;
  /** ssl_enable: the TLS gate's certificate, key and policy, read by main as root (null: no TLS). */
  tls?: GateSettings | null;
  /**
   * Listeners opened elsewhere: systemd's socket (named SYSTEMD_LISTENER_NAME,
   * always served), or the one a previous generation handed over (an upgrade:
   * served when it is bound where the configuration says).
   */
  inherited?: InheritedListener[] | null;
  /** Reads and checks the configuration again, as at start (reload(); without it a reload keeps the settings). */
  load?: () => Promise<LoadedConfig>;
}

export class Master {
  #config: MiniftpConfig;
  #log: Logger;
  #userDb: UserDb | null;
  readonly #load: (() => Promise<LoadedConfig>) | null;
  #reloads: Promise<unknown> = Promise.resolve();
  readonly #isolateNetwork: boolean;
  readonly #workerMain: string | undefined;
  readonly #sessions: SessionTable;
  // What the TLS policy of a login is checked against.
  #engineSettings: ReturnType<typeof engineSettingsFromTable>;
  readonly #userWorkers = new Map<string, WorkerProcess>();
  readonly #workersByPid = new Map<number, WorkerProcess>();
  readonly #pamSessions = new PamSessions();
  #acceptor: Acceptor | null = null;
  #inherited: InheritedListener[] | null;
  #prelogin: WorkerProcess | null = null;
  #helper: HelperProcess | null = null;
  #helperIds: { uid: number; gid: number } | null = null;
  #tls: GateSettings | null;
  #gate: GateProcess | null = null;
  #nopriv: WorkerIdentity | null = null;
  // chown_uploads: whom anonymous uploads go to (null: not set).
  #uploadOwner: UploadOwner | null = null;
  #stopping = false;
  // Handed its listener to a new generation (drain()): a reload changes nothing then.
  #draining = false;
  #supervisor: PingSupervisor;
  readonly #pingTargets = new WeakMap<object, PingTarget>();
  // The helper's ends of the data channels that no worker has used yet, by sid.
  readonly #unusedDataChannels = new Map<number, { end: FdHandle; poller: FdPoller }>();
  #spares: SparePool;
  // The helper a session's data channel goes to, the gate its TLS state is in (set at login and at TLS start).
  readonly #helperOf = new WeakMap<SessionRecord, HelperProcess>();
  readonly #gateOf = new WeakMap<SessionRecord, GateProcess>();
  // Replaced by a reload, each serving the sessions it had until they end.
  readonly #retiredHelpers = new RetiredProcesses<HelperProcess>((helper) => helper.process.kill('SIGKILL'));
  readonly #retiredGates = new RetiredProcesses<GateProcess>((gate) => gate.process.kill('SIGKILL'));
  readonly #retiredWorkers = new WeakSet<WorkerProcess>();
  // The settings of an approved login with a user_config_dir file, until its worker is chosen.
  readonly #loginSettings = new WeakMap<SessionRecord, MiniftpConfig>();
  // Password checks, in turns by client address.
  readonly #loginTurns = new LoginTurns();
  // proxy_protocol_enable: the client of each connection is the one its balancer's header names.
  #proxyHeaders: ProxyHeaders | null;

  constructor(options: MasterOptions) {
    this.#config = options.config;
    this.#userDb = options.userDb;
    this.#load = options.load ?? null;
    this.#isolateNetwork = options.isolateNetwork ?? true;
    this.#workerMain = options.workerMain;
    this.#tls = options.tls ?? null;
    this.#proxyHeaders = proxyHeaders(options.config);
    this.#inherited = options.inherited ?? null;
    this.#sessions = new SessionTable(options.config.max_clients, options.config.max_per_ip);
    this.#engineSettings = engineSettingsFromTable(options.config);
    this.#log = new Logger(openLogs(options.config));
    this.#supervisor = new PingSupervisor(options.config.worker_ping_interval * 1000, () => this.#children());
    this.#spares = this.#sparePool(options.config);
  }

  /** The settings new sessions get (a reload replaces them). */
  get config(): MiniftpConfig {
    return this.#config;
  }

  get log(): Logger {
    return this.#log;
  }

  #sparePool(config: MiniftpConfig): SparePool {
    const spare = { kind: 'spare', config, isolateNetwork: this.#isolateNetwork } as const;
    return new SparePool(config.spare_workers, (idle) => new SpareWorker(spare, this.#workerMain, idle));
  }

  /** The address it listens on (listen_address, or that of the listener it was given). */
  get host(): string {
    return this.#acceptor?.sockets[0]?.host ?? this.config.listen_address;
  }

  /** The port it listens on (useful with listen_port=0). */
  get port(): number {
    return this.#acceptor?.sockets[0]?.port ?? 0;
  }

  /** pids of the helper, the TLS gate, the pre-login worker, the user workers and the spare workers. */
  processes(): { helper: number | null; gate: number | null; prelogin: number | null; users: number[]; spares: number[] } {
    return {
      helper: this.#helper?.process.pid ?? null,
      gate: this.#gate?.process.pid ?? null,
      prelogin: this.#prelogin?.pid ?? null,
      users: [...this.#userWorkers.values()].map((w) => w.pid),
      spares: this.#spares.pids,
    };
  }

  /**
   * The memory of every process: heap numbers from each (after a full
   * collection when they run with --expose-gc), rss and fds from /proc.
   */
  stats(): Promise<ProcessStats[]> {
    const sources: StatsSource[] = [{
      role: 'master', pid: process.pid, sessions: this.#sessions.size, heap: heapStats,
      extra: { approved: this.#sessions.approvedCount(), workers: this.#workersByPid.size },
    }];
    const helper = this.#helper;
    if (helper) sources.push({ role: 'helper', pid: helper.process.pid, heap: async () => parseHeapStats(await (await helper.broker).stats()) });
    const gate = this.#gate;
    if (gate) sources.push({ role: 'gate', pid: gate.process.pid, heap: async () => parseHeapStats(await (await gate.broker).stats()) });
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
    this.#helperIds = { uid: c.helper_uid, gid: nopriv.gid };
    this.#nopriv = { user: c.nopriv_user, uid: c.prelogin_uid, gid: nopriv.gid, groups: [nopriv.gid], chroot: c.secure_chroot_dir, home: '/', anonymous: false };
    fs.mkdirSync(c.secure_chroot_dir, { recursive: true, mode: 0o755 });
    if (c.chown_uploads) this.#uploadOwner = await uploadOwner(c);
    const helper = this.#startHelper();
    this.#helper = helper;
    await helper.broker.catch(async (err: Error) => {
      // What it printed before it died comes first.
      await withinASecond(helper.stderr.ended);
      throw new Error(`the helper (uid ${c.helper_uid}) did not start: ${err.message}`);
    });
    if (this.#tls) {
      const gate = this.#startGate();
      this.#gate = gate;
      await gate.broker.catch(async (err: Error) => {
        await withinASecond(gate.stderr.ended);
        throw new Error(`the TLS gate (uid ${c.gate_uid}) did not start: ${err.message}`);
      });
    }
    const prelogin = this.#startWorker('prelogin', this.#nopriv);
    this.#prelogin = prelogin;
    await prelogin.control.catch(async (err: Error) => {
      await withinASecond(prelogin.stderr.ended);
      throw new Error(`the pre-login worker (uid ${c.prelogin_uid}) did not start: ${err.message}`);
    });
    this.#spares.fill();
    this.#supervisor.start();
    this.#acceptor = this.#listen(c);
    this.#inherited = null;
  }

  // systemd's socket, or the one a previous generation handed over when it is where the settings say, or a new one.
  #listen(c: MiniftpConfig): Acceptor {
    const acceptor = new Acceptor(controlListener(c, this.#inherited));
    acceptor.on('connections', (batch) => {
      for (const connection of batch) void this.#onConnection(connection);
    });
    // Out of fds it pauses and resumes by itself; nothing here is fatal to the master.
    acceptor.on('error', (err) => console.error(`miniftp: accepting connections: ${err.message}`));
    return acceptor;
  }

  /** The listening socket, for a hand-over to a new generation (empty before start()). */
  listeners(): ReadonlyArray<{ name: string; fd: number }> {
    return this.#acceptor?.sockets ?? [];
  }

  /**
   * After a hand-over: stops accepting and the spares, stops the pre-login
   * worker once no client is logging in, and resolves when the last session
   * has ended, or after `timeoutMs` (0: no limit). Then stop() ends the rest.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    this.#acceptor?.close();
    void this.#spares.stop();
    const deadline = Date.now() + timeoutMs;
    while (this.#sessions.size > 0 && (timeoutMs === 0 || Date.now() < deadline)) {
      if (this.#prelogin && this.#sessions.loggingInCount() === 0) {
        this.#prelogin.stop();
        this.#prelogin = null;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Stops listening and ends every process it started. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#supervisor.stop();
    this.#acceptor?.close();
    for (const sid of [...this.#unusedDataChannels.keys()]) this.#dropDataChannel(sid);
    const exits: Promise<unknown>[] = [this.#spares.stop()];
    for (const worker of this.#workersByPid.values()) {
      exits.push(worker.process.exited);
      worker.stop();
    }
    for (const child of [this.#helper, this.#gate, ...this.#retiredHelpers.all(), ...this.#retiredGates.all()]) {
      if (!child) continue;
      exits.push(child.process.exited);
      child.process.kill('SIGKILL');
    }
    await Promise.all([...exits, this.#pamSessions.endAll()]);
  }

  /**
   * Reads the configuration again and, when it is good, gives new sessions
   * the new settings: the processes whose settings changed are replaced (the
   * old ones serve their sessions until these end), the listener too when
   * its address changed. A bad file, or a part that does not start, keeps
   * everything as it was. Logs what changed, or why not, on stderr and in
   * the log. One reload at a time: a second waits for the first.
   */
  reload(): Promise<ReloadResult> {
    const run = this.#reloads.then(() => this.#reloadOnce());
    this.#reloads = run.catch(() => {});
    return run;
  }

  #startHelper(c = this.config, ids = this.#helperIds!): HelperProcess {
    const started = Date.now();
    const helper = spawnSupport('helper', helperMain, LIGHT_NODE_FLAGS, { MINIFTP_HELPER_IDS: JSON.stringify({ uid: ids.uid, gid: ids.gid }) }, ids, false, (channel) =>
      BrokerClient.connect(channel, helperControlProtocol, { timeout: 30_000 }).then(async (b) => {
        await b.configure(JSON.stringify(helperSettings(c)));
        return b;
      }));
    void helper.process.exited.then(() => {
      if (this.#retiredHelpers.has(helper)) void this.#moveDataChannels(this.#retiredHelpers.exited(helper).flatMap((sid) => this.#sessions.get(sid) ?? []));
      // Not one a reload started and then gave up.
      if (this.#helper !== helper) return;
      setTimeout(() => this.#restartHelper(helper), Math.max(0, started + HELPER_RESTART_MS - Date.now()));
    });
    return helper;
  }

  // The TLS gate: gate_uid, chrooted, no capabilities, its own empty network
  // namespace; the only process besides this one that ever holds the key.
  #startGate(c = this.config, tls = this.#tls, helperIds = this.#helperIds!): GateProcess {
    const ids = { uid: c.gate_uid, gid: helperIds.gid };
    const started = Date.now();
    const settings = JSON.stringify(tls);
    // Not --jitless: the gate's JavaScript moves every TLS byte.
    const gate = spawnSupport('TLS gate', gateMain, [], { MINIFTP_GATE: JSON.stringify({ ...ids, chroot: c.secure_chroot_dir }) }, ids, this.#isolateNetwork, (channel) =>
      BrokerClient.connect(channel, gateControlProtocol, { timeout: 30_000 }).then(async (b) => {
        await b.configure(settings);
        return b;
      }));
    // Its TLS sessions end with it (their plaintext ends close); plain sessions go on.
    void gate.process.exited.then(() => {
      this.#retiredGates.exited(gate);
      if (this.#gate !== gate) return;
      setTimeout(() => this.#restartGate(gate), Math.max(0, started + HELPER_RESTART_MS - Date.now()));
    });
    return gate;
  }

  // In place of `dead`, unless a reload has put another gate there meanwhile.
  #restartGate(dead: GateProcess): void {
    if (this.#stopping || !this.#tls || this.#gate !== dead) return;
    try {
      this.#gate = this.#startGate();
    } catch (err) {
      console.error(`miniftp: cannot start a new TLS gate (${(err as Error).message}); trying again`);
      setTimeout(() => this.#restartGate(dead), HELPER_RESTART_MS);
    }
  }

  // The gate that holds a TLS session's state (its data connections go there too).
  async #gateBroker(record: SessionRecord): Promise<GateBroker> {
    const gate = this.#gateOf.get(record);
    if (!gate) throw refusal('EOPNOTSUPP', 'no TLS session');
    return gate.broker;
  }

  // Without its helper no session can transfer data: start a new one in
  // place of `dead` (unless a reload has put another there meanwhile) and
  // give it the data channel of every logged-in session.
  #restartHelper(dead: HelperProcess): void {
    if (this.#stopping || this.#helper !== dead) return;
    try {
      this.#helper = this.#startHelper();
    } catch (err) {
      console.error(`miniftp: cannot start a new helper (${(err as Error).message}); trying again`);
      setTimeout(() => this.#restartHelper(dead), HELPER_RESTART_MS);
      return;
    }
    void this.#reopenDataChannels();
  }

  async #reopenDataChannels(): Promise<void> {
    // Sessions that a helper retired by a reload serves keep it.
    await this.#moveDataChannels([...this.#sessions.all()].filter((record) => !this.#retiredHelpers.has(this.#helperOf.get(record))));
  }

  // Gives the data channels of `records` (logged-in sessions whose helper is gone) to the current helper.
  async #moveDataChannels(records: readonly SessionRecord[]): Promise<void> {
    const current = this.#helper;
    if (!current) return;
    let helper: HelperBroker;
    try {
      helper = await current.broker;
    } catch {
      return; // That helper died too; the next one tries again.
    }
    for (const record of records) {
      const worker = record.workerPid === null ? undefined : this.#workersByPid.get(record.workerPid);
      if (this.#sessions.get(record.sid) !== record || record.stage !== 'postlogin' || worker?.spec.kind !== 'user') continue;
      // A retired helper that could not take the channel (but still runs) no longer waits for this session.
      this.#retiredHelpers.sessionEnded(this.#helperOf.get(record), record.sid);
      this.#helperOf.set(record, current);
      // A channel the master still holds goes to the session's helper when it is first used.
      if (!this.#unusedDataChannels.has(record.sid)) void this.#reopenDataChannel(helper, worker, record);
    }
  }

  // The session's helper: the one it logged in under while that one runs (current or retired), else the current one.
  #helperFor(record: SessionRecord): HelperProcess {
    const bound = this.#helperOf.get(record);
    if (bound && (bound === this.#helper || this.#retiredHelpers.has(bound))) return bound;
    this.#helperOf.set(record, this.#helper!);
    return this.#helper!;
  }

  // A new socketpair: one end to the helper, the other to the session's
  // worker, which drops its old channel (a transfer in flight on it fails).
  async #reopenDataChannel(helper: HelperBroker, worker: WorkerProcess, record: SessionRecord): Promise<void> {
    this.#dropDataChannel(record.sid);
    let helperEnd: FdHandle | null = null;
    let workerEnd: FdHandle | null = null;
    try {
      [helperEnd, workerEnd] = socketPair();
      const addresses: SessionAddresses = { clientAddress: record.client, localAddress: record.localAddress };
      const control = await worker.control;
      await Promise.all([
        helper.openSession(helperEnd, JSON.stringify(addresses), record.sid),
        control.replaceDataChannel(record.sid, workerEnd),
      ]);
    } catch {
      // The session, its worker or the new helper ended meanwhile, or no socketpair could be made (EMFILE).
    } finally {
      helperEnd?.close();
      workerEnd?.close();
    }
  }

  // What the supervisor pings: the helper and every worker whose channel is up.
  *#children(): Iterable<PingTarget> {
    for (const child of [this.#helper, this.#gate]) {
      if (child?.connected) yield this.#pingTarget(child, () => child.connected!.ping(), () => this.#supportSilent(child));
    }
    for (const worker of this.#workersByPid.values()) {
      if (worker.connected) yield this.#pingTarget(worker, () => worker.connected!.ping(), () => this.#workerSilent(worker));
    }
  }

  #pingTarget(child: object, ping: () => Promise<unknown>, silent: () => void): PingTarget {
    let target = this.#pingTargets.get(child);
    if (!target) {
      target = { ping, silent };
      this.#pingTargets.set(child, target);
    }
    return target;
  }

  #supportSilent(child: HelperProcess | GateProcess): void {
    if (this.#stopping || (this.#helper !== child && this.#gate !== child)) return;
    const name = child === this.#helper ? 'helper' : 'TLS gate';
    console.error(`miniftp: the ${name} (pid ${child.process.pid}) did not answer within worker_ping_interval; starting a new one`);
    child.process.kill('SIGKILL');
  }

  // A stuck worker is killed (its sessions end with it); a new pre-login
  // worker takes new connections at once, a new user worker the next login.
  #workerSilent(worker: WorkerProcess): void {
    if (this.#stopping || !this.#workersByPid.has(worker.pid)) return;
    console.error(`miniftp: worker ${worker.pid} did not answer within worker_ping_interval; replacing it`);
    this.#forgetUserWorker(worker);
    worker.stop();
    this.#replacePrelogin(worker);
  }

  // After the pre-login worker `dead` stopped answering or exited: no session
  // starts without one, so one that cannot start now (out of fds, say) is
  // tried again a second later.
  #replacePrelogin(dead: WorkerProcess): void {
    if (this.#stopping || this.#prelogin !== dead) return;
    try {
      this.#prelogin = this.#startWorker('prelogin', this.#nopriv!);
    } catch (err) {
      console.error(`miniftp: cannot start a new pre-login worker (${(err as Error).message}); trying again in a second`);
      setTimeout(() => this.#replacePrelogin(dead), PRELOGIN_RETRY_MS).unref();
    }
  }

  #startWorker(kind: 'prelogin' | 'user', identity: WorkerIdentity, config = this.config): WorkerProcess {
    // stop() has ended every worker it knew of; one started now would outlive it.
    if (this.#stopping) throw refusal('ESHUTDOWN', `not starting a ${kind} worker: the server is stopping`);
    const spec: WorkerSpec = { kind, config, identity, isolateNetwork: this.#isolateNetwork };
    const handlers = this.#monitorHandlers(() => worker);
    // A spare was started with the server's settings: a user with settings of its own gets a worker started with them.
    const spare = kind === 'user' && config === this.config ? this.#spares.take() : null;
    const worker: WorkerProcess = (spare && this.#assignSpare(spare, spec, handlers)) ?? new WorkerProcess(spec, handlers, this.#workerMain);
    this.#workersByPid.set(worker.pid, worker);
    // A worker that breaks the monitor table is not trusted with its sessions any longer.
    worker.monitor.once('close', (reason) => {
      if (!reason || this.#stopping) return;
      console.error(`miniftp: ${kind} worker ${worker.pid}: monitor channel closed: ${reason.message}`);
      this.#forgetUserWorker(worker);
      worker.stop();
    });
    void worker.process.exited.then(() => this.#onWorkerExit(worker));
    return worker;
  }

  // Sessions with the same key share a worker: the same identity and the same settings (user_config_dir).
  #workerKey(identity: WorkerIdentity, config: MiniftpConfig): string {
    return config === this.config ? identityKey(identity) : `${identityKey(identity)} ${JSON.stringify(config)}`;
  }

  // By the worker, not its key: a reload may have changed the settings its key was made with.
  #forgetUserWorker(worker: WorkerProcess): void {
    for (const [key, w] of this.#userWorkers) if (w === worker) this.#userWorkers.delete(key);
  }

  #onWorkerExit(worker: WorkerProcess): void {
    this.#workersByPid.delete(worker.pid);
    worker.stop();
    for (const record of this.#sessions.heldBy(worker.pid)) this.#endSession(record);
    this.#replacePrelogin(worker);
    this.#forgetUserWorker(worker);
  }

  // A session's data channel is given to the helper when its worker first
  // writes to it (the hello before its first data request), not at login:
  // most short sessions never make a data connection, and the helper then
  // never sets one up. The worker's hello waits in the socket meanwhile.
  #holdDataChannel(record: SessionRecord, end: FdHandle): void {
    const poller = new FdPoller(end, () => {
      poller.stop();
      // A worker that closed its end at the session's end sends sessionClosed too: let that come first.
      setImmediate(() => void this.#openDataChannel(record));
    });
    poller.unref();
    this.#unusedDataChannels.set(record.sid, { end, poller });
    poller.start('readable');
  }

  async #openDataChannel(record: SessionRecord): Promise<void> {
    const unused = this.#unusedDataChannels.get(record.sid);
    if (!unused || this.#sessions.get(record.sid) !== record) return;
    this.#unusedDataChannels.delete(record.sid);
    unused.poller.close();
    const helperProcess = this.#helperFor(record);
    try {
      const addresses: SessionAddresses = { clientAddress: record.client, localAddress: record.localAddress };
      await (await helperProcess.broker).openSession(unused.end, JSON.stringify(addresses), record.sid);
    } catch {
      // That helper died: its successor opens a data channel for every
      // logged-in session; one that started meanwhile gets one here.
      void this.#retryDataChannel(record, helperProcess);
    } finally {
      unused.end.close();
    }
  }

  async #retryDataChannel(record: SessionRecord, failed: HelperProcess): Promise<void> {
    await withinASecond(failed.process.exited);
    const worker = record.workerPid === null ? undefined : this.#workersByPid.get(record.workerPid);
    if (this.#stopping || !worker || this.#sessions.get(record.sid) !== record || this.#helper === failed) return;
    // The new helper died too: the next one reopens every channel.
    await this.#moveDataChannels([record]);
  }

  #dropDataChannel(sid: number): void {
    const unused = this.#unusedDataChannels.get(sid);
    if (!unused) return;
    this.#unusedDataChannels.delete(sid);
    unused.poller.close();
    unused.end.close();
  }

  #endSession(record: SessionRecord): void {
    const channelUnused = this.#unusedDataChannels.has(record.sid);
    this.#dropDataChannel(record.sid);
    if (!this.#sessions.remove(record.sid)) return;
    void this.#pamSessions.end(record.sid);
    const helper = this.#helperOf.get(record);
    // The helper was given the data channel: it closes its end, whatever the worker does with the other.
    if (helper && !channelUnused) void helper.connected?.closeSession(record.sid).catch(() => {});
    this.#retiredHelpers.sessionEnded(helper, record.sid);
    const gate = this.#gateOf.get(record);
    // Also when the session ended while its wrapControl was on its way: the gate has made its state by then.
    void gate?.connected?.endSession(record.sid).catch(() => {});
    this.#retiredGates.sessionEnded(gate, record.sid);
    const worker = record.workerPid === null ? undefined : this.#workersByPid.get(record.workerPid);
    if (!worker) return;
    worker.sessions.delete(record.sid);
    if (this.#stopIfRetiredAndIdle(worker)) return;
    if (worker.spec.kind === 'user' && worker.sessions.size === 0) this.#stopWhenIdle(worker);
  }

  // A spare that cannot take the identity is ended, not put back; null: a
  // worker started for it decides (and refuses one of root's the same way).
  #assignSpare(spare: SpareWorker, spec: WorkerSpec, handlers: MonitorHandlers): WorkerProcess | null {
    try {
      return spare.assign(spec, handlers);
    } catch (err) {
      spare.stop();
      if (isErrnoError(err, 'EPERM') && err.syscall === 'sched_setscheduler') this.#spares.noIdleClass(err);
      return null;
    }
  }

  // A user worker without sessions ends after USER_WORKER_IDLE_MS unless one comes.
  #stopWhenIdle(worker: WorkerProcess): void {
    if (worker.idleTimer) return;
    worker.idleTimer = setTimeout(() => {
      worker.idleTimer = null;
      if (worker.sessions.size === 0) {
        this.#forgetUserWorker(worker);
        worker.stop();
      }
    }, USER_WORKER_IDLE_MS);
    worker.idleTimer.unref();
  }

  // The worker of `identity` with `settings`: the one running, or a new one
  // (a spare when there is one), which ends unless a session comes.
  #userWorkerFor(identity: WorkerIdentity, settings: MiniftpConfig): WorkerProcess {
    const key = this.#workerKey(identity, settings);
    let worker = this.#userWorkers.get(key);
    if (!worker) {
      worker = this.#startWorker('user', identity, settings);
      this.#userWorkers.set(key, worker);
      this.#stopWhenIdle(worker);
    }
    return worker;
  }

  async #onConnection(connection: AcceptedConnection): Promise<void> {
    let client = decodePeer(connection.peer, 0).address;
    if (this.#proxyHeaders) {
      const balancer = normalizeAddress(client) ?? client;
      const proxied = await this.#proxyHeaders.clientOf(connection.fd, balancer);
      if (!proxied.ok) {
        this.log.write({ type: 'refused', time: new Date(), client: balancer, reason: proxied.reason });
        new FdHandle(connection.fd).close();
        return;
      }
      client = proxied.client;
    }
    let ends: { local: string; text: string };
    try {
      ends = connectionEnds(connection.fd);
    } catch {
      // Reset before it was seen.
      new FdHandle(connection.fd).close();
      return;
    }
    // An IPv4 client of a listen_ipv6 socket on :: arrives as ::ffff:a.b.c.d: its
    // data connections are IPv4 ones, made and checked with the plain IPv4 address.
    const admitted = this.#sessions.admit(client, normalizeAddress(ends.local) ?? ends.local, ends.text);
    if (!admitted.ok) {
      this.log.write({ type: 'refused', time: new Date(), client, reason: admitted.reason });
      refuse(connection.fd, admitted.reason === 'max_clients'
        ? 'There are too many connected users, please try later.'
        : 'There are too many connections from your internet address.');
      return;
    }
    const record = admitted.record;
    let control = new FdHandle(connection.fd);
    if (this.config.implicit_ssl) {
      // Implicit FTPS: TLS from the first byte; the pre-login worker sees only plaintext.
      try {
        control = await this.#startTls(record, control);
      } catch {
        control.close();
        this.#endSession(record);
        return;
      }
    }
    const addresses: ConnectionInfo = { clientAddress: client, localAddress: record.localAddress, tls: record.tls };
    for (let attempt = 1; ; attempt++) {
      const prelogin = this.#prelogin;
      try {
        if (!prelogin) throw refusal('ESRCH', 'no pre-login worker');
        record.workerPid = prelogin.pid;
        prelogin.sessions.add(record.sid);
        await (await prelogin.control).newSession(record.sid, control, JSON.stringify(addresses));
        control.close();
        return;
      } catch {
        // A pre-login worker found stuck while this connection waited for
        // it has been replaced: the connection goes to the new one.
        const replaced = prelogin !== null && this.#prelogin !== prelogin && this.#sessions.get(record.sid) === record;
        if (attempt === 1 && replaced && !this.#stopping) {
          prelogin.sessions.delete(record.sid);
          continue;
        }
        refuse(control.release(), 'Service not available, closing control connection.');
        this.#endSession(record);
        return;
      }
    }
  }

  // Every handler checks that the sid it is given belongs to the worker
  // asking, and answers at once: a slow password check never holds up the
  // channel, whose requests are answered one at a time.
  #monitorHandlers(self: () => WorkerProcess): MonitorHandlers {
    const owned = (sid: number): SessionRecord => {
      const record = this.#sessions.get(sid);
      if (!record || record.workerPid !== self().pid) throw refusal('ESRCH', `session ${sid} is not this worker's`);
      return record;
    };
    return {
      answerLogin: (sid: number, user: Buffer, password: Buffer) => {
        const record = owned(sid);
        if (record.stage !== 'prelogin') throw refusal('EALREADY', 'login already done');
        if (record.checking) throw refusal('EBUSY', 'a login check of this session is running');
        const max = this.config.max_login_fails;
        if (record.loginFails >= max) return LoginStart.refusedLast;
        // The worker holds back its 530 for the delay; one that asks again sooner counts a failure.
        if (performance.now() < record.loginNotBefore) {
          record.loginFails++;
          return record.loginFails >= max ? LoginStart.refusedLast : LoginStart.refused;
        }
        record.checking = true;
        void this.#checkLogin(record, self(), user.toString(), password.toString());
        return LoginStart.checking;
      },
      answerCheckUser: async (sid: number, user: Buffer) => {
        const record = owned(sid);
        if (record.stage !== 'prelogin') throw refusal('EALREADY', 'login already done');
        if (record.checking) throw refusal('EBUSY', 'a login check of this session is running');
        if (!(await isRefusedByUserList(this.config, user.toString()))) return LoginStart.checking;
        // As a failed login: counted, and the 530 held back for the delay.
        record.loginFails++;
        record.loginNotBefore = performance.now() + this.config.delay_failed_login * 1000 - LOGIN_DELAY_SLACK_MS;
        return record.loginFails >= this.config.max_login_fails ? LoginStart.refusedLast : LoginStart.refused;
      },
      answerHandover: (sid: number, control, state: Buffer, unread: Buffer) => {
        const record = owned(sid);
        const identity = record.approved;
        if (record.stage !== 'approved' || !identity) throw refusal('EACCES', 'handover without a good login');
        if (!isConnectionOf(control, record)) throw refusal('EBADF', `the fd handed over is not the control connection of session ${sid}`);
        record.approved = null;
        record.stage = 'moving';
        record.workerPid = null;
        self().sessions.delete(sid);
        this.#stopIfRetiredAndIdle(self());
        const fd = new FdHandle(control.release());
        void this.#moveToUserWorker(record, identity, fd, Buffer.from(state), Buffer.from(unread));
      },
      answerStartTls: (sid: number, raw: FdHandle) => {
        const record = owned(sid);
        if (record.stage !== 'prelogin') throw refusal('EALREADY', 'logged in already');
        if (record.tls) throw refusal('EALREADY', 'TLS already');
        if (!this.#tls) throw refusal('EOPNOTSUPP', 'ssl_enable is off');
        if (!isConnectionOf(raw, record)) throw refusal('EBADF', `the fd given is not the control connection of session ${sid}`);
        return this.#startTls(record, new FdHandle(raw.release()));
      },
      answerProtectData: async (sid: number, raw: FdHandle) => {
        const record = owned(sid);
        if (record.stage !== 'postlogin' || !record.tls) throw refusal('EPERM', 'PROT P needs a TLS control connection');
        const anyPeer = this.config.pasv_promiscuous || this.config.port_promiscuous;
        if (!isDataConnectionOf(raw, record, anyPeer, this.#proxyHeaders?.trusted ?? null)) throw refusal('EBADF', `the fd given is not a data connection of session ${sid}`);
        return (await this.#gateBroker(record)).wrapData(raw, sid);
      },
      answerSessionClosed: (sid: number) => {
        this.#endSession(owned(sid));
      },
      answerChownUpload: async (sid: number, file: FdHandle) => {
        const record = owned(sid);
        const identity = self().spec.identity;
        if (record.stage !== 'postlogin' || !identity.anonymous) throw refusal('EACCES', 'chown_uploads applies to anonymous sessions only');
        if (!this.#uploadOwner) throw refusal('EACCES', 'chown_uploads is not set');
        await giveUpload(file, identity.uid, this.#uploadOwner);
      },
      answerLog: (sid: number, json: Buffer) => {
        const record = owned(sid);
        this.log.write(parseWorkerEvent(Buffer.from(json), record.client), self().pid, self().spec.identity.anonymous ? 'a' : 'r');
      },
    };
  }

  // The gate takes the raw connection; the record now knows the plaintext end
  // as the session's connection (a hand-over must bring that one).
  async #startTls(record: SessionRecord, raw: FdHandle): Promise<FdHandle> {
    let plain: FdHandle;
    try {
      const gate = this.#gate;
      if (!gate) throw refusal('EOPNOTSUPP', 'ssl_enable is off');
      this.#gateOf.set(record, gate);
      plain = await (await gate.broker).wrapControl(raw, record.sid);
    } finally {
      raw.close();
    }
    record.tls = true;
    record.connection = plaintextEnd(plain);
    return plain;
  }

  // Checks a login off the channel and sends the verdict on the worker's
  // control channel; a session that ended meanwhile gets none.
  async #checkLogin(record: SessionRecord, worker: WorkerProcess, user: string, password: string): Promise<void> {
    const settings = await userSettings(this.config, user).catch((err: Error) => {
      console.error(`miniftp: login of ${JSON.stringify(user)} refused: ${err.message}`);
      return null;
    });
    const login = settings === null ? null : await this.#loginTurns.run(record.client, () => authenticate(settings, this.#userDb, user, password, record.client)).catch(() => null);
    record.checking = false;
    let identity = login?.identity ?? null;
    // The pre-login worker refused such a USER already; a worker that did not gets no login.
    if (identity && tlsPolicyRefusal(this.#engineSettings, identity.anonymous, record.tls) !== null) identity = null;
    const current = this.#sessions.get(record.sid) === record && record.workerPid === worker.pid;
    if (login?.pam) {
      if (identity && current) this.#pamSessions.hold(record.sid, login.pam);
      else void closePam(login.pam);
    }
    if (!current) return;
    let verdict: number = LoginVerdict.ok;
    let delayMs = 0;
    if (identity) {
      record.stage = 'approved';
      record.user = identity.user;
      record.approved = identity;
      if (settings !== this.config) this.#loginSettings.set(record, settings!);
      // A new identity's worker (a spare, as a rule) takes it and drops to it
      // while the verdict goes out and the pre-login worker hands the session over.
      try {
        this.#userWorkerFor(identity, settings!);
      } catch {
        // The hand-over tries again, and refuses the session if it fails too.
      }
    } else {
      record.loginFails++;
      delayMs = this.config.delay_failed_login * 1000;
      record.loginNotBefore = performance.now() + delayMs - LOGIN_DELAY_SLACK_MS;
      verdict = record.loginFails >= this.config.max_login_fails ? LoginVerdict.failedLast : LoginVerdict.failed;
    }
    try {
      await (await worker.control).loginVerdict(record.sid, verdict, delayMs);
    } catch {
      // The worker is gone: its exit ends its sessions.
    }
  }

  async #moveToUserWorker(record: SessionRecord, identity: WorkerIdentity, control: FdHandle, state: Buffer, unread: Buffer): Promise<void> {
    let helperEnd: FdHandle | null = null;
    let workerEnd: FdHandle | null = null;
    try {
      [helperEnd, workerEnd] = socketPair();
      const settings = this.#loginSettings.get(record) ?? this.config;
      this.#loginSettings.delete(record);
      const worker = this.#userWorkerFor(identity, settings);
      if (worker.idleTimer) {
        clearTimeout(worker.idleTimer);
        worker.idleTimer = null;
      }
      const addresses: SessionAddresses = { clientAddress: record.client, localAddress: record.localAddress };
      const connection: ConnectionInfo = { ...addresses, tls: record.tls };
      record.workerPid = worker.pid;
      worker.sessions.add(record.sid);
      record.stage = 'postlogin';
      const userWorker = await worker.control;
      if (this.#sessions.get(record.sid) !== record) throw refusal('ESRCH', 'the session ended');
      this.#helperOf.set(record, this.#helper!);
      this.#holdDataChannel(record, helperEnd);
      helperEnd = null;
      await userWorker.adoptSession(record.sid, control, workerEnd, state, unread, JSON.stringify(connection));
    } catch {
      refuse(control.release(), 'Service not available, closing control connection.');
      this.#endSession(record);
    } finally {
      helperEnd?.close();
      workerEnd?.close();
      control.close();
    }
  }

  async #reloadOnce(): Promise<ReloadResult> {
    let result: ReloadResult;
    try {
      if (!this.#load) throw new Error('this server was started without a way to read its configuration again');
      const next = await this.#load();
      result = { ok: true, changed: await this.#apply(next) };
    } catch (err) {
      result = { ok: false, changed: [], error: (err as Error).message };
    }
    const text = result.ok
      ? (result.changed.length === 0 ? 'configuration read again, nothing changed' : `configuration read again, changed: ${result.changed.join(', ')}`)
      : `configuration not changed, the old settings stay: ${result.error}`;
    console.error(`miniftp: ${text}`);
    this.log.write({ type: 'reload', time: new Date(), ok: result.ok, text });
    return result;
  }

  // Starts what the new settings need beside what runs, then switches over;
  // on an error, ends what it started and leaves everything as it was.
  async #apply(next: LoadedConfig): Promise<string[]> {
    if (this.#stopping) throw new Error('the server is stopping');
    if (this.#draining) throw new Error('this generation has handed its listener to a new one and is draining');
    const plan = reloadPlan({ config: this.config, userDb: this.#userDb, tls: this.#tls }, next);
    if (plan.changed.length === 0) {
      // Still a new file where logrotate moved the old one away.
      this.#replaceLog(new Logger(openLogs(next.config)));
      return [];
    }
    // systemd's socket, passed at start or by the generation before (an upgrade), is where the socket unit says.
    if (plan.listener && this.#acceptor?.sockets[0]?.name === SYSTEMD_LISTENER_NAME) {
      const changed = plan.changed.filter((key) => key.startsWith('listen_')).join(', ');
      throw new Error(`${changed} cannot change while the listener is systemd's (the socket unit sets the address): change the socket unit and restart`);
    }
    const c = next.config;
    const started: Array<{ stop(): void }> = [];
    try {
      const nopriv = await resolveIdentity(c.nopriv_user);
      const helperIds = { uid: c.helper_uid, gid: nopriv.gid };
      const noprivIdentity: WorkerIdentity = { user: c.nopriv_user, uid: c.prelogin_uid, gid: nopriv.gid, groups: [nopriv.gid], chroot: c.secure_chroot_dir, home: '/', anonymous: false };
      fs.mkdirSync(c.secure_chroot_dir, { recursive: true, mode: 0o755 });
      const owner = c.chown_uploads ? await uploadOwner(c) : null;
      // Opened again at every reload, changed or not: logrotate's postrotate sends SIGHUP.
      const log = new Logger(openLogs(c));
      started.push({ stop: () => log.close() });
      const acceptor = plan.listener ? this.#listen(c) : null;
      if (acceptor) started.push({ stop: () => acceptor.close() });
      const helper = plan.helper ? this.#startHelper(c, helperIds) : null;
      if (helper) {
        started.push({ stop: () => helper.process.kill('SIGKILL') });
        await helper.broker.catch((err: Error) => {
          throw new Error(`a new helper (uid ${c.helper_uid}) did not start: ${err.message}`);
        });
      }
      const gate = plan.gate && next.tls ? this.#startGate(c, next.tls, helperIds) : null;
      if (gate) {
        started.push({ stop: () => gate.process.kill('SIGKILL') });
        await gate.broker.catch((err: Error) => {
          throw new Error(`a new TLS gate (uid ${c.gate_uid}) did not start: ${err.message}`);
        });
      }
      const prelogin = plan.workers ? this.#startWorker('prelogin', noprivIdentity, c) : null;
      if (prelogin) {
        started.push(prelogin);
        await prelogin.control.catch((err: Error) => {
          throw new Error(`a new pre-login worker (uid ${c.prelogin_uid}) did not start: ${err.message}`);
        });
      }
      if (this.#stopping) throw new Error('the server is stopping');
      // A hand-over that began while this reload ran: this generation must not serve again.
      if (this.#draining) throw new Error('this generation has handed its listener to a new one and is draining');
      // Everything started: from here on nothing fails.
      this.#switchTo(next, { nopriv: noprivIdentity, helperIds, owner, log, acceptor, helper, gate, prelogin, spares: plan.spares, gateOff: plan.gate && !next.tls });
    } catch (err) {
      for (const part of started.reverse()) part.stop();
      throw err;
    }
    return plan.changed;
  }

  #replaceLog(log: Logger): void {
    const old = this.#log;
    this.#log = log;
    old.close();
  }

  #switchTo(next: LoadedConfig, parts: {
    nopriv: WorkerIdentity; helperIds: { uid: number; gid: number }; owner: UploadOwner | null; log: Logger; acceptor: Acceptor | null;
    helper: HelperProcess | null; gate: GateProcess | null; prelogin: WorkerProcess | null; spares: boolean; gateOff: boolean;
  }): void {
    const old = this.config;
    const c = next.config;
    this.#config = c;
    this.#userDb = next.userDb;
    this.#tls = next.tls;
    this.#engineSettings = engineSettingsFromTable(c);
    this.#sessions.setLimits(c.max_clients, c.max_per_ip);
    this.#nopriv = parts.nopriv;
    this.#helperIds = parts.helperIds;
    this.#uploadOwner = parts.owner;
    this.#replaceLog(parts.log);
    if (parts.acceptor) {
      // The new listener was bound first: connections waiting on the old one are still taken.
      this.#acceptor?.close();
      this.#acceptor = parts.acceptor;
    }
    const sessions = [...this.#sessions.all()];
    if (parts.helper) {
      const oldHelper = this.#helper;
      this.#helper = parts.helper;
      const itsSessions = sessions.filter((r) => this.#helperOf.get(r) === oldHelper);
      // One that died while the reload ran has no sessions to serve: they move to the new one.
      if (oldHelper?.process.exitStatus) void this.#moveDataChannels(itsSessions);
      else if (oldHelper) this.#retiredHelpers.retire(oldHelper, itsSessions.map((r) => r.sid));
    }
    if (parts.gate || parts.gateOff) {
      const oldGate = this.#gate;
      this.#gate = parts.gate;
      // One that died while the reload ran took its sessions' TLS with it: nothing to retire.
      if (oldGate && !oldGate.process.exitStatus) this.#retiredGates.retire(oldGate, sessions.filter((r) => this.#gateOf.get(r) === oldGate).map((r) => r.sid));
    }
    if (parts.prelogin) {
      const oldPrelogin = this.#prelogin;
      this.#prelogin = parts.prelogin;
      // Its sessions go on there, in the settings they started with; logins from now on get the new ones.
      if (oldPrelogin) this.#retireWorker(oldPrelogin);
      for (const worker of this.#userWorkers.values()) this.#retireWorker(worker);
      this.#userWorkers.clear();
    }
    if (parts.spares) {
      void this.#spares.stop();
      this.#spares = this.#sparePool(c);
      this.#spares.fill();
    }
    if (c.proxy_protocol_enable !== old.proxy_protocol_enable || c.proxy_protocol_trusted !== old.proxy_protocol_trusted) {
      this.#proxyHeaders = proxyHeaders(c);
    }
    if (c.worker_ping_interval !== old.worker_ping_interval) {
      this.#supervisor.stop();
      this.#supervisor = new PingSupervisor(c.worker_ping_interval * 1000, () => this.#children());
      this.#supervisor.start();
    }
  }

  // A worker a reload replaced takes no new session and ends with its last one.
  #retireWorker(worker: WorkerProcess): void {
    this.#retiredWorkers.add(worker);
    if (worker.idleTimer) clearTimeout(worker.idleTimer);
    worker.idleTimer = null;
    this.#stopIfRetiredAndIdle(worker);
  }

  #stopIfRetiredAndIdle(worker: WorkerProcess): boolean {
    if (!this.#retiredWorkers.has(worker)) return false;
    if (worker.sessions.size === 0) worker.stop();
    return true;
  }
}

// proxy_protocol_enable: the client of each connection is the one its balancer's header names (null: off).
function proxyHeaders(config: MiniftpConfig): ProxyHeaders | null {
  const trusted = config.proxy_protocol_enable ? config.proxy_protocol_trusted : null;
  return trusted === null ? null : new ProxyHeaders(TrustedProxies.parse(trusted));
}

// chown_username, resolved once; a uid 0 account would make anonymous uploads root's files.
async function uploadOwner(config: MiniftpConfig): Promise<UploadOwner> {
  const id = await resolveIdentity(config.chown_username).catch((err: Error) => {
    throw new Error(`chown_username ${config.chown_username}: ${err.message}`);
  });
  if (id.uid === 0) throw new Error(`chown_username ${config.chown_username} is uid 0; chown_uploads needs an account that is not root`);
  return { uid: id.uid, mode: config.chown_upload_mode };
}

// A TCP connection's two ends as one text, and its local address.
function connectionEnds(fd: number | FdHandle): { local: string; text: string } {
  const local = localAddress(fd);
  const remote = remoteAddress(fd);
  return { local: local.address, text: `${local.address} ${local.port} ${remote.address} ${remote.port}` };
}

// The plaintext end of a TLS gate's socketpair, known again by its inode
// (a socket's inode is unique while it is open).
function plaintextEnd(fd: FdHandle): string {
  return `plaintext socket ${fs.fstatSync(fd.fd).ino}`;
}

// The fd a worker hands over must be the session's own client connection.
function isConnectionOf(control: FdHandle, record: SessionRecord): boolean {
  try {
    return (record.tls ? plaintextEnd(control) : connectionEnds(control).text) === record.connection;
  } catch {
    return false;
  }
}

// A data connection the helper made for this session: TCP, from the
// server's address on the control connection, to the client's, or to a
// trusted balancer that relays it (the helper enforces the peer and checks
// the balancer's header; this keeps a worker from sending anything else to the gate).
function isDataConnectionOf(fd: FdHandle, record: SessionRecord, anyPeer: boolean, balancers: TrustedProxies | null): boolean {
  try {
    if (localAddress(fd).address !== record.localAddress) return false;
    const remote = remoteAddress(fd).address;
    return anyPeer || remote === record.client || (balancers?.trusts(remote) ?? false);
  } catch {
    return false;
  }
}


// Whether `event` happens within a second: a child's exit is reported, and
// its stderr drained, a moment after its channels close.
async function withinASecond(event: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const happened = await Promise.race([event.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 1000)))]);
  clearTimeout(timer);
  return happened;
}

function openLogFile(file: string): number {
  if (file === '-') return 1;
  return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
}

/** @throws ConfigError naming syslog_enable when /dev/log takes no datagrams */
function openLogs(config: MiniftpConfig): LogSinks {
  const plan = logPlan(config);
  let syslog: SyslogWriter | null = null;
  if (plan.vsftpdLog === 'syslog') {
    try {
      syslog = new SyslogWriter();
    } catch (err) {
      throw settingError(config, 'syslog_enable', `the system log's ${SYSLOG_SOCKET} takes no datagrams (${(err as NodeJS.ErrnoException).code ?? String(err)}): no syslog daemon runs`);
    }
  }
  let vsftpdFd: number | null = null;
  try {
    vsftpdFd = plan.vsftpdLog === 'file' ? openLogFile(config.vsftpd_log_file) : null;
    const xferlogFd = plan.xferlog ? openLogFile(config.xferlog_file) : null;
    return { vsftpdFd, syslog, xferlogFd, protocol: plan.protocol, json: config.log_json, localTime: config.use_localtime };
  } catch (err) {
    // A reload that cannot open its logs leaves nothing open.
    if (vsftpdFd !== null && vsftpdFd > 2) fs.closeSync(vsftpdFd);
    syslog?.close();
    throw err;
  }
}
