// A miniftp worker process: the pre-login worker, or the worker of one user
// identity. The master starts it as root in an empty network namespace (a
// spare worker first loads its code and waits for the master to give it its
// identity on fd 5, reading nothing else); it drops to its identity (chroot,
// groups, gid, uid, no capabilities, no_new_privs, checked on every thread)
// before it reads a byte from any client, then runs FTP sessions handed to
// it on the control channel (fd 4), asking the master on the monitor
// channel (fd 3).
import v8 from 'node:v8';
import { BrokerClient, BrokerServer, changeCredentials, FdHandle, refusal, releaseMemory, type Broker } from 'privsep';
import { isAnonymousName } from '../anonymous-names.js';
import { LoginStart, LoginVerdict, SPARE_IDENTITY_FD, controlProtocol, monitorProtocol, type CodeCacheRun, type SpareSpec, type WorkerSpec } from '../protocols.js';
import { FtpSession, parseSessionState, type ConnectionInfo, type EngineOptions, type LoginAnswer, type SessionHost, type SessionLogEvent, type SessionState } from '../session/index.js';
import { HelperDataConnector, noDataConnections } from './data-connector.js';
import { engineSettings } from './engine-settings.js';
import { MemoryRelease } from './memory-release.js';
import { heapStats } from '../heap-stats.js';
import { readAssignment } from './spare-assignment.js';
import { warmUp } from './spare-warm-up.js';
import { logPlan, plannedFor, type LogPlan } from '../log-plan.js';
import { defaultConfig } from '../config.js';
import { codeCacheOutcome } from './code-cache-outcome.js';

const start = JSON.parse(process.env.MINIFTP_WORKER ?? 'null') as WorkerSpec | SpareSpec | CodeCacheRun | null;
if (!start) {
  console.error('miniftp worker: started without MINIFTP_WORKER; the master starts workers');
  process.exit(2);
}
delete process.env.MINIFTP_WORKER;

// Time zone data cannot be read once chrooted: load it now.
new Date().toString();

// A spare becomes the worker of the identity the master gives it. It waits
// with the code the first login runs compiled already, and its start-up
// garbage collected (spares are kept, each a process of its own); one given
// its identity while it is still starting (a burst of new users) skips
// what is left of that and goes on at once.
async function assignedSpec(spare: SpareSpec): Promise<WorkerSpec> {
  let answered = false;
  const assignment = readAssignment(SPARE_IDENTITY_FD).then((identity) => {
    answered = true;
    return identity;
  }, (err: Error) => {
    console.error(`miniftp worker: ${err.message}`);
    process.exit(2);
  });
  await warmUp(spare.config, () => answered).catch((err: Error) => console.error(`miniftp worker: warm-up failed (${err.message}); going on`));
  if (!answered) releaseMemory();
  const assigned = await assignment;
  // No identity: the master ended.
  if (!assigned) process.exit(0);
  return { kind: 'user', config: spare.config, identity: assigned, isolateNetwork: spare.isolateNetwork };
}

// Set by main() before the first session.
let spec: WorkerSpec;
let options: EngineOptions;
let logs: LogPlan;
let monitor: Broker<typeof monitorProtocol.requests>;
let monitorReady: Promise<unknown>;

// A user worker's; null in the pre-login worker.
let memoryRelease: MemoryRelease | null = null;

// The data channel of each logged-in session, by sid (the master replaces them with the helper).
const dataConnectors = new Map<number, HelperDataConnector>();

// The log files are the master's: a worker only reports what happened.
function sendLog(sid: number, event: SessionLogEvent): void {
  if (!plannedFor(logs, event)) return;
  void monitor.log(sid, JSON.stringify(event)).catch(() => {});
}

// Login checks in progress, by sid: the master's loginVerdict settles them.
const verdicts = new Map<number, (verdict: { verdict: number; delayMs: number }) => void>();

function answerLoginVerdict(sid: number, verdict: number, delayMs: number): void {
  const settle = verdicts.get(sid);
  verdicts.delete(sid);
  settle?.({ verdict, delayMs });
}

// userlist_enable: the master reads the list; a refusal is held back for the delay, as a failed login.
async function checkUser(sid: number, user: string): Promise<'ok' | 'refused' | 'refusedLast'> {
  const start = await monitor.checkUser(sid, user).catch(() => LoginStart.refused);
  if (start === LoginStart.checking) return 'ok';
  await new Promise((resolve) => setTimeout(resolve, spec.config.delay_failed_login * 1000));
  return start === LoginStart.refusedLast ? 'refusedLast' : 'refused';
}

function preloginHost(sid: number, onHandover: () => void): SessionHost {
  return {
    options,
    data: noDataConnections,
    log: (event) => sendLog(sid, event),
    async login(user: string, password: string): Promise<LoginAnswer> {
      // The verdict may come before the reply that the check started.
      const answer = new Promise<{ verdict: number; delayMs: number }>((resolve) => verdicts.set(sid, resolve));
      let start: number;
      try {
        start = await monitor.login(sid, user, password);
      } catch {
        start = LoginStart.refused;
      }
      if (start !== LoginStart.checking) {
        verdicts.delete(sid);
        return { ok: false, disconnect: start === LoginStart.refusedLast };
      }
      const { verdict, delayMs } = await answer;
      if (verdict === LoginVerdict.ok) {
        const anonymous = isAnonymousName(user);
        return { ok: true, user: anonymous ? 'ftp' : user, anonymous };
      }
      // delay_failed_login holds back this session only; the master refuses an earlier retry.
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { ok: false, disconnect: verdict === LoginVerdict.failedLast };
    },
    ...(spec.config.userlist_enable ? { checkUser: async (user: string) => checkUser(sid, user) } : {}),
    async startTls(raw: FdHandle): Promise<FdHandle> {
      try {
        return await monitor.startTls(sid, raw);
      } finally {
        raw.close();
      }
    },
    async handover(control: FdHandle, state: SessionState, unread: Buffer): Promise<void> {
      try {
        await monitor.handover(sid, control, JSON.stringify(state), unread);
        onHandover();
      } finally {
        control.close();
      }
    },
  };
}

// What the master says of a connection: its addresses, and whether TLS protects it.
function parseConnection(json: Buffer): ConnectionInfo {
  const value = JSON.parse(json.toString()) as Partial<ConnectionInfo>;
  if (typeof value.clientAddress !== 'string' || typeof value.localAddress !== 'string' || typeof value.tls !== 'boolean') {
    throw refusal('EINVAL', 'malformed connection');
  }
  return { clientAddress: value.clientAddress, localAddress: value.localAddress, tls: value.tls };
}

async function answerNewSession(sid: number, control: FdHandle, connectionJson: Buffer): Promise<void> {
  const connection = parseConnection(connectionJson);
  await monitorReady;
  let handedOver = false;
  const session = new FtpSession(control.toSocket(), preloginHost(sid, () => (handedOver = true)), 'prelogin', undefined, undefined, connection);
  void session.done.then(() => {
    if (!handedOver) void monitor.sessionClosed(sid).catch(() => {});
  });
}

async function answerAdoptSession(sid: number, control: FdHandle, dataChannel: FdHandle, stateJson: Buffer, unread: Buffer, connectionJson: Buffer): Promise<void> {
  const connection = parseConnection(connectionJson);
  await monitorReady;
  const identity = spec.identity;
  // The protocol details come from the pre-login worker; who the session is
  // comes from this worker's own identity, which the master decided.
  const state = parseSessionState(JSON.parse(stateJson.toString()));
  Object.assign(state, {
    user: identity.anonymous ? 'ftp' : identity.user,
    anonymous: identity.anonymous,
    loggedIn: true,
    loginReplyPending: true,
    root: null,
    home: identity.home,
    cwd: identity.home,
    umask: identity.anonymous ? options.anonUmask : options.localUmask,
  });
  const data = new HelperDataConnector(new FdHandle(dataChannel.release()));
  dataConnectors.set(sid, data);
  const host: SessionHost = {
    options, data, log: (event) => sendLog(sid, event),
    protectData: async (raw) => {
      try {
        return await monitor.protectData(sid, raw);
      } finally {
        raw.close();
      }
    },
    chownUpload: async (file) => {
      await monitor.chownUpload(sid, file);
    },
  };
  const session = new FtpSession(control.toSocket(), host, 'postlogin', state, Buffer.from(unread), connection);
  memoryRelease?.sessionsChanged();
  void session.done.then(() => {
    memoryRelease?.sessionsChanged();
    dataConnectors.delete(sid);
    // The master hears of the end before it sees the data channel close: a
    // channel it still holds is then dropped, not given to the helper.
    void monitor.sessionClosed(sid).catch(() => {});
    data.close();
  });
}

async function main(spawned: WorkerSpec | SpareSpec): Promise<void> {
  spec = spawned.kind === 'spare' ? await assignedSpec(spawned) : spawned;
  // V8's memory settings, set now and not on the command line, where they
  // would make V8 refuse the code caches (see WORKER_V8_FLAGS in
  // worker-process.ts): the code is loaded and compiled by now, and V8 reads
  // both where it uses them. The young generation stays at its 1 MiB start
  // per semi-space instead of growing towards 16 (about 18 MiB less rss per
  // busy worker in the soak). A user worker also runs V8's memory-saving
  // mode; the pre-login worker, one process that runs every login, does not
  // (it costs about as much CPU per login as the rest of its work).
  v8.setFlagsFromString(spec.kind === 'prelogin' ? '--semi-space-growth-factor=1' : '--optimize-for-size --semi-space-growth-factor=1');
  const identity = spec.identity;
  options = engineSettings(spec.config, identity.anonymous);
  logs = logPlan(spec.config);
  if (spec.kind === 'user') memoryRelease = new MemoryRelease();
  await changeCredentials({
    uid: identity.uid,
    gid: identity.gid,
    groups: identity.groups,
    ...(identity.chroot ? { chroot: identity.chroot } : {}),
    cwd: identity.chroot ? '/' : identity.home,
    capabilities: [],
    noNewPrivs: true,
  });
  // The monitor's hello and the control channel's run at once; a session
  // handed over meanwhile waits for the monitor.
  monitorReady = BrokerClient.connect(3, monitorProtocol).then((connected) => {
    monitor = connected;
    // A worker lives as long as its master.
    monitor.channel.once('close', () => process.exit(0));
  });
  const control = new BrokerServer(4, controlProtocol, {
    answerNewSession,
    answerAdoptSession,
    answerLoginVerdict,
    answerPing: () => {},
    answerReplaceDataChannel: (sid: number, dataChannel: FdHandle) => {
      const data = dataConnectors.get(sid);
      if (!data) throw refusal('ESRCH', `no session ${sid} here`);
      data.replaceChannel(new FdHandle(dataChannel.release()));
    },
    answerStats: async () => JSON.stringify({ ...(await heapStats()), codeCache: codeCacheOutcome() }),
  });
  void control.done.then(() => process.exit(0));
  await monitorReady;
}

/** The build's run (CodeCacheRun): the warm-up's end, after which it makes the code cache. */
export const codeCacheWarmUp = start.kind === 'code-cache' ? warmUp(defaultConfig(), () => false) : null;

if (start.kind !== 'code-cache') {
  main(start).catch((err: Error) => {
    console.error(`miniftp worker: ${err.stack ?? err.message}`);
    process.exit(2);
  });
}
