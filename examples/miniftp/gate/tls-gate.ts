// miniftp's TLS gate: started by the master as root in an empty network
// namespace, it loads its code and OpenSSL, then becomes gate_uid (in
// nopriv_user's group), chrooted to secure_chroot_dir, with no capabilities,
// no_new_privs, not dumpable, before it reads its control channel on fd 3.
// It alone (after the master's start) holds the server's private key: it
// terminates TLS for the connections the master sends it and answers the
// plaintext end of a socketpair for each. It never opens a connection.
import tls from 'node:tls';
import { BrokerServer, changeCredentials, refusal, socketPair, type FdHandle } from 'privsep';
import { heapStats } from '../heap-stats.js';
import { secureContextOptions, type GateSettings } from './gate-settings.js';
import { gateControlProtocol } from './protocols.js';
import { TlsPump } from './tls-pump.js';

const spec = JSON.parse(process.env.MINIFTP_GATE ?? 'null') as { uid: number; gid: number; chroot: string } | null;
if (!spec) {
  console.error('miniftp gate: started without MINIFTP_GATE; the master starts the gate');
  process.exit(2);
}
delete process.env.MINIFTP_GATE;
// OpenSSL reads its configuration once, before the chroot hides it.
tls.createSecureContext();
await changeCredentials({ uid: spec.uid, gid: spec.gid, groups: [], chroot: spec.chroot, cwd: '/', capabilities: [], noNewPrivs: true, dumpable: false });

let context: tls.SecureContext | null = null;
const pumps = new Set<TlsPump>();

function configure(json: Buffer): void {
  if (context) throw refusal('EALREADY', 'already configured');
  let settings: GateSettings;
  try {
    settings = JSON.parse(json.toString()) as GateSettings;
    context = tls.createSecureContext(secureContextOptions(settings));
  } catch {
    throw refusal('EINVAL', 'malformed settings');
  }
}

function wrapControl(raw: FdHandle): FdHandle {
  if (!context) throw refusal('EINVAL', 'not configured');
  const [mine, theirs] = socketPair();
  const pump = new TlsPump(raw, mine, context);
  pumps.add(pump);
  void pump.done.then(() => pumps.delete(pump));
  return theirs;
}

const control = new BrokerServer(3, gateControlProtocol, {
  answerConfigure: configure,
  answerWrapControl: (raw: FdHandle) => wrapControl(raw),
  answerPing: () => {},
  answerStats: async () => JSON.stringify(await heapStats()),
});

// The gate lives exactly as long as the master's channel.
void control.done.then(() => process.exit(0));
