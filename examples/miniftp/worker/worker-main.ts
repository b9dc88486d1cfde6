// A miniftp worker process: the pre-login worker, or the worker of one user
// identity. The master starts it as root in an empty network namespace; it
// drops to its identity (chroot, groups, gid, uid, no capabilities,
// no_new_privs, checked on every thread) before it reads a byte from any
// client, then runs FTP sessions handed to it on the control channel (fd 4),
// asking the master on the monitor channel (fd 3).
import fs from 'node:fs';
import { BrokerClient, BrokerServer, FdHandle, changeCredentials } from 'privsep';
import { controlProtocol, monitorProtocol } from '../protocols.js';
import type { WorkerSpec } from '../master/worker-process.js';
import { Logger } from '../log.js';
import { FtpSession, parseSessionState, type LoginAnswer, type SessionHost, type SessionState } from '../session/index.js';
import { HelperDataConnector, noDataConnections } from './data-connector.js';
import { engineSettings } from './engine-settings.js';
import { heapStats } from '../heap-stats.js';

const spec = JSON.parse(process.env.MINIFTP_WORKER ?? 'null') as WorkerSpec | null;
if (!spec) {
  console.error('miniftp worker: started without MINIFTP_WORKER; the master starts workers');
  process.exit(2);
}
delete process.env.MINIFTP_WORKER;

const logger = new Logger(fdIsOpen(5) ? 5 : null, spec.config.log_json);
const identity = spec.identity;
const options = engineSettings(spec.config, identity.anonymous);

function fdIsOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

// Time zone data cannot be read once chrooted: load it now.
new Date().toString();
await changeCredentials({
  uid: identity.uid,
  gid: identity.gid,
  groups: identity.groups,
  ...(identity.chroot ? { chroot: identity.chroot } : {}),
  cwd: identity.chroot ? '/' : identity.home,
  capabilities: [],
  noNewPrivs: true,
});

const monitor = await BrokerClient.connect(3, monitorProtocol);

function preloginHost(sid: number, onHandover: () => void): SessionHost {
  return {
    options,
    data: noDataConnections,
    log: (event) => logger.write(event),
    async login(user: string, password: string): Promise<LoginAnswer> {
      try {
        await monitor.login(sid, user, password);
        const anonymous = ['anonymous', 'ftp'].includes(user.toLowerCase());
        return { ok: true, user: anonymous ? 'ftp' : user, anonymous };
      } catch (err) {
        return { ok: false, disconnect: (err as { code?: string }).code === 'ECONNABORTED' };
      }
    },
    async handover(control: FdHandle, state: SessionState, unread: Buffer): Promise<void> {
      onHandover();
      try {
        await monitor.handover(sid, control, JSON.stringify(state), unread);
      } finally {
        control.close();
      }
    },
  };
}

function answerNewSession(sid: number, control: FdHandle): void {
  let handedOver = false;
  const session = new FtpSession(control.toSocket(), preloginHost(sid, () => (handedOver = true)), 'prelogin');
  void session.done.then(() => {
    if (!handedOver) void monitor.sessionClosed(sid).catch(() => {});
  });
}

async function answerAdoptSession(sid: number, control: FdHandle, dataChannel: FdHandle, stateJson: Buffer, unread: Buffer): Promise<void> {
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
  const data = new HelperDataConnector(new FdHandle(dataChannel.release()), options.acceptTimeout * 1000);
  const host: SessionHost = {
    options, data, log: (event) => logger.write(event),
    chownUpload: async (file) => {
      await monitor.chownUpload(sid, file);
    },
  };
  const session = new FtpSession(control.toSocket(), host, 'postlogin', state, Buffer.from(unread));
  void session.done.then(() => {
    data.close();
    void monitor.sessionClosed(sid).catch(() => {});
  });
}

const control = new BrokerServer(4, controlProtocol, {
  answerNewSession: (sid: number, fd: FdHandle) => answerNewSession(sid, fd),
  answerAdoptSession: (sid: number, fd: FdHandle, dataChannel: FdHandle, state: Buffer, unread: Buffer) =>
    answerAdoptSession(sid, fd, dataChannel, state, unread),
  answerStats: async () => JSON.stringify(await heapStats()),
});

// A worker lives as long as its master.
void control.done.then(() => process.exit(0));
void monitor.channel.once('close', () => process.exit(0));
