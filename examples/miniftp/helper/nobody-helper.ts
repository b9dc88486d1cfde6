// miniftp's nobody helper process: started by the master as root, it loads
// its code, then becomes helper_uid (in nopriv_user's group) with only
// CAP_NET_BIND_SERVICE, not dumpable, before it reads its control channel on
// fd 3; then serves that channel and one data channel per logged-in session.
// Privileged side (a capability).
import { BrokerServer, changeCredentials, type FdHandle } from 'privsep';
import { DataSession } from './data-session-privileged.js';
import { heapStats } from '../heap-stats.js';
import type { HelperSettings } from '../config-table.js';
import { helperControlProtocol, type SessionAddresses } from './protocols.js';

const ids = JSON.parse(process.env.MINIFTP_HELPER_IDS ?? 'null') as { uid: number; gid: number } | null;
if (!ids) {
  console.error('miniftp helper: started without MINIFTP_HELPER_IDS; the master starts the helper');
  process.exit(2);
}
delete process.env.MINIFTP_HELPER_IDS;
await changeCredentials({ uid: ids.uid, gid: ids.gid, groups: [], capabilities: ['CAP_NET_BIND_SERVICE'], noNewPrivs: true, dumpable: false });

let settings: HelperSettings | null = null;

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString()) as T;
  } catch {
    throw Object.assign(new Error(`malformed ${what}`), { code: 'EINVAL' });
  }
}

const control = new BrokerServer(3, helperControlProtocol, {
  answerConfigure: (json: Buffer) => {
    if (settings) throw Object.assign(new Error('already configured'), { code: 'EALREADY' });
    settings = parseJson<HelperSettings>(json, 'settings');
  },
  answerOpenSession: (channel: FdHandle, json: Buffer) => {
    if (!settings) throw Object.assign(new Error('not configured'), { code: 'EINVAL' });
    new DataSession(channel, settings, parseJson<SessionAddresses>(json, 'session addresses'));
  },
  answerPing: () => {},
  answerStats: async () => JSON.stringify(await heapStats()),
});

// The helper lives exactly as long as the master's channel.
void control.done.then(() => process.exit(0));
