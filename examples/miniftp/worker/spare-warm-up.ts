// What a spare runs once its code is loaded, before it waits for its
// identity: the code a first login runs right after the assignment, on
// nothing but its own /proc entries and socketpairs of its own, so that the
// login does not wait while that code is compiled (about 5 ms of a 15 ms
// first login here): reading every thread's credentials (the drop reads them
// twice), a broker channel's hello and a request both ways (the monitor and
// control channels open right after the drop), and a logged-in FTP session
// that sends its 230 and reads a QUIT.
import { BrokerClient, BrokerServer, defineProtocol, socketPair, threadCredentials } from 'privsep';
import type { MiniftpConfig } from '../config-table.js';
import { FtpSession, newSessionState } from '../session/index.js';
import { noDataConnections } from './data-connector.js';
import { engineSettings } from './engine-settings.js';

const warmUpProtocol = defineProtocol({
  name: 'miniftp-warm-up',
  version: 1,
  requests: {
    echo: { id: 1, args: ['int', 'buf'], reply: ['result', 'int'] },
  },
});

/** Runs the steps in turn, stopping between two once `stop()` says so (the identity came). */
export async function warmUp(config: MiniftpConfig, stop: () => boolean): Promise<void> {
  for (const step of [async () => threadCredentials(), brokerRoundTrip, () => sessionStartAndQuit(config)]) {
    if (stop()) return;
    await step();
  }
}

async function brokerRoundTrip(): Promise<void> {
  const [serverEnd, clientEnd] = socketPair();
  const server = new BrokerServer(serverEnd, warmUpProtocol, { answerEcho: (n: number) => n });
  try {
    const client = await BrokerClient.connect(clientEnd, warmUpProtocol, { timeout: 5000 });
    try {
      await client.echo(1, Buffer.from('warm'));
    } finally {
      client.close();
    }
  } finally {
    server.close();
  }
}

async function sessionStartAndQuit(config: MiniftpConfig): Promise<void> {
  const [ours, theirs] = socketPair();
  // The client's end reads the replies (a session ends once they are read).
  const client = theirs.toSocket();
  client.on('error', () => {});
  client.resume();
  try {
    const state = newSessionState({ user: 'warm-up', loggedIn: true, loginReplyPending: true });
    const host = { options: engineSettings(config, false), data: noDataConnections, log: () => {} };
    const connection = { clientAddress: '127.0.0.1', localAddress: '127.0.0.1', tls: false };
    const session = new FtpSession(ours.toSocket(), host, 'postlogin', state, Buffer.from('QUIT\r\n'), connection);
    await session.done;
  } finally {
    client.destroy();
  }
}
