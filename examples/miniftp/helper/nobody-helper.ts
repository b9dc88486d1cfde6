// miniftp's nobody helper process: started by the master as helper_uid (in
// nopriv_user's group) with only CAP_NET_BIND_SERVICE; serves the master's
// control channel on fd 3 and one data channel per logged-in session.
// Privileged side (a capability).
import { BrokerServer, setDumpable, type FdHandle } from 'privsep';
import { DataSession } from './data-session-privileged.js';
import { helperControlProtocol, type HelperSettings, type SessionAddresses } from './protocols.js';

// Started with its ids, it would stay dumpable: nothing may attach to it.
setDumpable(false);

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
});

// The helper lives exactly as long as the master's channel.
void control.done.then(() => process.exit(0));
