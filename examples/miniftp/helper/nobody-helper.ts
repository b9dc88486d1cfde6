// miniftp's nobody helper process: started by the master as nopriv_user with
// only CAP_NET_BIND_SERVICE; serves the master's control channel on fd 3 and
// one data channel per logged-in session. Privileged side (a capability).
import { BrokerServer, type FdHandle } from 'privsep';
import { DataSession } from './data-session-privileged.js';
import { heapStats } from '../heap-stats.js';
import { helperControlProtocol, type HelperSettings, type SessionAddresses } from './protocols.js';

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
    settings = parseJson<HelperSettings>(json, 'settings');
  },
  answerOpenSession: (channel: FdHandle, json: Buffer) => {
    if (!settings) throw Object.assign(new Error('not configured'), { code: 'EINVAL' });
    new DataSession(channel, settings, parseJson<SessionAddresses>(json, 'session addresses'));
  },
  answerStats: async () => JSON.stringify(await heapStats()),
});

// The helper lives exactly as long as the master's channel.
void control.done.then(() => process.exit(0));
