// miniftp's TLS gate: started by the master as root in an empty network
// namespace, it loads its code and OpenSSL, then becomes gate_uid (in
// nopriv_user's group), chrooted to secure_chroot_dir, with no capabilities,
// no_new_privs, not dumpable, before it reads its control channel on fd 3.
// It alone (after the master's start) holds the server's private key: it
// terminates TLS for the connections the master sends it and answers the
// plaintext end of a socketpair for each. It never opens a connection.
import crypto from 'node:crypto';
import tls from 'node:tls';
import { BrokerServer, changeCredentials, refusal, socketPair, type FdHandle } from 'privsep';
import { heapStats } from '../heap-stats.js';
import type { ClientCertRule } from './client-cert.js';
import { clientCertRule, secureContextOptions, type GateSettings } from './gate-settings.js';
import { gateControlProtocol } from './protocols.js';
import { SessionResumption } from './session-resumption.js';
import { TlsPump, type PumpKind } from './tls-pump.js';

// TLS 1.3 tickets (and 1.2 sessions) stay valid this long: a data
// connection may resume its control connection's session as long as the
// session lasts, within TLS 1.3's cap of a week.
const SESSION_SECONDS = 24 * 3600;

const spec = JSON.parse(process.env.MINIFTP_GATE ?? 'null') as { uid: number; gid: number; chroot: string } | null;
if (!spec) {
  console.error('miniftp gate: started without MINIFTP_GATE; the master starts the gate');
  process.exit(2);
}
delete process.env.MINIFTP_GATE;
// OpenSSL reads its configuration once, before the chroot hides it.
tls.createSecureContext();
await changeCredentials({ uid: spec.uid, gid: spec.gid, groups: [], chroot: spec.chroot, cwd: '/', capabilities: [], noNewPrivs: true, dumpable: false });

let settings: GateSettings | null = null;
let certRule: ClientCertRule = { required: false, cas: null };
// Each TLS session's own context and session-id cache: its own ticket keys
// and its own ids, so that a data connection that resumes here resumed this session.
const sessions = new Map<number, { resumption: SessionResumption; pumps: Set<TlsPump> }>();

function configure(json: Buffer): void {
  if (settings) throw refusal('EALREADY', 'already configured');
  let parsed: GateSettings;
  let rule: ClientCertRule;
  try {
    parsed = JSON.parse(json.toString()) as GateSettings;
    tls.createSecureContext(secureContextOptions(parsed));
    rule = clientCertRule(parsed);
  } catch {
    throw refusal('EINVAL', 'malformed settings');
  }
  settings = parsed;
  certRule = rule;
}

function pump(raw: FdHandle, sid: number, kind: PumpKind): FdHandle {
  const session = sessions.get(sid)!;
  const [mine, theirs] = socketPair();
  const debug = settings?.debug ? (line: string): void => void process.stderr.write(`TLS session ${sid}: ${line}\n`) : null;
  const pumped = new TlsPump(raw, mine, session.resumption, kind, certRule, debug);
  session.pumps.add(pumped);
  void pumped.done.then(() => session.pumps.delete(pumped));
  return theirs;
}

function wrapControl(raw: FdHandle, sid: number): FdHandle {
  if (!settings) throw refusal('EINVAL', 'not configured');
  if (sessions.has(sid)) throw refusal('EEXIST', `session ${sid} has TLS already`);
  // A session id context of its own: OpenSSL resumes a session that asked
  // for a client certificate only within the context it was made in.
  const context = tls.createSecureContext({
    ...secureContextOptions(settings), ticketKeys: crypto.randomBytes(48), sessionTimeout: SESSION_SECONDS,
    sessionIdContext: crypto.randomBytes(16).toString('hex'),
  });
  sessions.set(sid, { resumption: new SessionResumption(context), pumps: new Set() });
  return pump(raw, sid, { kind: 'control' });
}

function wrapData(raw: FdHandle, sid: number): FdHandle {
  if (!settings || !sessions.has(sid)) throw refusal('ESRCH', `no TLS session ${sid}`);
  return pump(raw, sid, { kind: 'data', requireReuse: settings.requireReuse, strictEof: settings.strictReadEof });
}

function endSession(sid: number): void {
  const session = sessions.get(sid);
  sessions.delete(sid);
  for (const pumped of session?.pumps ?? []) pumped.destroy();
}

const control = new BrokerServer(3, gateControlProtocol, {
  answerConfigure: configure,
  answerWrapControl: (raw: FdHandle, sid: number) => wrapControl(raw, sid),
  answerWrapData: (raw: FdHandle, sid: number) => wrapData(raw, sid),
  answerEndSession: endSession,
  answerPing: () => {},
  answerStats: async () => JSON.stringify(await heapStats()),
});

// The gate lives exactly as long as the master's channel.
void control.done.then(() => process.exit(0));
