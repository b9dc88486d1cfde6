// miniftp's nobody helper process: started by the master as root, it loads
// its code, then becomes helper_uid (in nopriv_user's group) with only
// CAP_NET_BIND_SERVICE, not dumpable, before it reads its control channel on
// fd 3; then serves that channel and one data channel per logged-in session.
// Privileged side (a capability).
import { BrokerServer, changeCredentials, refusal, type FdHandle } from 'privsep';
import { DataSession } from './data-session-privileged.js';
import { heapStats } from '../heap-stats.js';
import type { HelperSettings } from '../config-table.js';
import { helperControlProtocol, type SessionAddresses } from './protocols.js';
import { ProxyHeaders } from '../proxy-headers.js';
import { TrustedProxies } from '../proxy-trust.js';

const ids = JSON.parse(process.env.MINIFTP_HELPER_IDS ?? 'null') as { uid: number; gid: number } | null;
if (!ids) {
  console.error('miniftp helper: started without MINIFTP_HELPER_IDS; the master starts the helper');
  process.exit(2);
}
delete process.env.MINIFTP_HELPER_IDS;
await changeCredentials({ uid: ids.uid, gid: ids.gid, groups: [], capabilities: ['CAP_NET_BIND_SERVICE'], noNewPrivs: true, dumpable: false });

let settings: HelperSettings | null = null;
let proxyHeaders: ProxyHeaders | null = null;
// By session id: the master ends each, since a worker may keep its end open.
// A plain object: with a Map here, the helper's (--jitless) malloc heap grew
// by 0.3 to 0.6 MiB per 1,000 sessions in five 10,000-session soaks, its JS
// heap flat; with this its rss stays flat.
const sessions: Record<number, DataSession> = Object.create(null);

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString()) as T;
  } catch {
    throw refusal('EINVAL', `malformed ${what}`);
  }
}

const control = new BrokerServer(3, helperControlProtocol, {
  answerConfigure: (json: Buffer) => {
    if (settings) throw refusal('EALREADY', 'already configured');
    const given = parseJson<HelperSettings>(json, 'settings');
    if (given.proxyProtocolEnable) {
      try {
        proxyHeaders = new ProxyHeaders(TrustedProxies.parse(given.proxyProtocolTrusted ?? ''));
      } catch (err) {
        throw refusal('EINVAL', `proxy_protocol_trusted: ${(err as Error).message}`);
      }
    }
    settings = given;
  },
  answerOpenSession: (channel: FdHandle, json: Buffer, sid: number) => {
    if (!settings) throw refusal('EINVAL', 'not configured');
    const addresses = parseJson<SessionAddresses>(json, 'session addresses');
    sessions[sid]?.close();
    const session = new DataSession(channel, settings, addresses, proxyHeaders);
    sessions[sid] = session;
    void session.server.done.then(() => {
      if (sessions[sid] === session) delete sessions[sid];
    });
  },
  answerCloseSession: (sid: number) => {
    sessions[sid]?.close();
  },
  answerPing: () => {},
  answerStats: async () => JSON.stringify(await heapStats()),
});

// The helper lives exactly as long as the master's channel.
void control.done.then(() => process.exit(0));
