// miniftp's nobody helper as a real process, driven through its real tables
// (control: configure, openSession; data: pasvListen, pasvAccept,
// portConnect, pasvClose) by a master and workers that misbehave. Each
// refusal names what was wrong, and the helper's other sessions keep working.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BrokerClient, Channel, socketPair, spawnWithCredentials, type Broker, type CredentialedProcess, type FdHandle } from '../../src/index.js';
import { encodeHello } from '../../src/broker/hello.js';
import { encodeRequest } from '../../src/broker/messages.js';
import { compileProtocol } from '../../src/broker/requests.js';
import { encodeHeader } from '../../src/fd/frame-reader.js';
import { native } from '../../src/native.js';
import { helperSettings } from '../../examples/miniftp/config-table.js';
import { dataProtocol, helperControlProtocol } from '../../examples/miniftp/helper/protocols.js';
import { connectOutcome } from '../helpers/connect.js';
import { isRoot } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';

const helperMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'examples', 'miniftp', 'helper', 'nobody-helper.js');
const settings = { ...helperSettings(), acceptTimeout: 10, connectTimeout: 5 };
const CLIENT = { clientAddress: '127.0.0.1', localAddress: '127.0.0.1' };
const dataTable = compileProtocol(dataProtocol);

type DataBroker = Broker<typeof dataProtocol.requests>;
let helper: CredentialedProcess;
let control: Broker<typeof helperControlProtocol.requests>;
let witness: DataBroker;

let lastSid = 0;

/** Asks the helper for a new session (`sid`: the next unused id); returns the worker's end of its data channel. */
async function openSessionEnd(addresses: object = CLIENT, sid = ++lastSid): Promise<FdHandle> {
  const [workerEnd, helperEnd] = socketPair();
  try {
    await control.openSession(helperEnd, JSON.stringify(addresses), sid);
  } finally {
    helperEnd.close();
  }
  return workerEnd;
}

async function openSession(): Promise<DataBroker> {
  return BrokerClient.connect(await openSessionEnd(), dataProtocol, { timeout: 20_000 });
}

/** A whole passive data connection through `session`: PASV, the client connects, the helper hands over the socket. */
async function passiveWorks(session: DataBroker): Promise<void> {
  const port = await session.pasvListen();
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => {});
  const fd = await session.pasvAccept(5_000);
  const socket = fd.toSocket();
  socket.on('error', () => {});
  const received = new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString())));
  socket.end('through the helper');
  expect(await received).toBe('through the helper');
  client.destroy();
}

beforeAll(async () => {
  if (!isRoot) return;
  const [mine, theirs] = socketPair();
  // Started as root, as the master starts it: it takes these ids itself.
  helper = spawnWithCredentials(process.execPath, [helperMain], {
    fds: { 3: theirs },
    env: { PATH: '/usr/bin:/bin', MINIFTP_HELPER_IDS: JSON.stringify({ uid: 65534, gid: 65534 }) },
    cwd: '/',
  });
  theirs.close();
  control = await BrokerClient.connect(mine, helperControlProtocol, { timeout: 20_000 });
  await control.configure(JSON.stringify(settings));
  witness = await openSession();
  await passiveWorks(witness);
});

afterAll(async () => {
  control?.close();
  if (helper) {
    const kill = setTimeout(() => helper.kill('SIGKILL'), 5_000);
    await helper.exited;
    clearTimeout(kill);
  }
});

describe.runIf(requireRoot('nobody helper hostile tests'))('the nobody helper against a misbehaving master (control table)', () => {
  test('openSession with an fd that is not a socket is refused with ENOTSOCK', async () => {
    for (const file of ['/dev/null', '/etc/hostname']) {
      const fd = fs.openSync(file, 'r');
      try {
        await expect(control.openSession(fd, JSON.stringify(CLIENT), ++lastSid)).rejects.toMatchObject({ code: 'ENOTSOCK', request: 'openSession' });
      } finally {
        fs.closeSync(fd);
      }
    }
    await passiveWorks(witness);
    await passiveWorks(await openSession());
  });

  test('openSession with addresses that are not JSON is refused with EINVAL', async () => {
    const [workerEnd, helperEnd] = socketPair();
    await expect(control.openSession(helperEnd, '{not json', ++lastSid)).rejects.toMatchObject({ code: 'EINVAL' });
    helperEnd.close();
    workerEnd.close();
    await passiveWorks(witness);
  });

  test('closeSession ends a session whose worker keeps its end: its channel and its PASV listener close; an unknown id changes nothing', async () => {
    const sid = ++lastSid;
    const end = await openSessionEnd(CLIENT, sid);
    const kept = await BrokerClient.connect(end, dataProtocol, { timeout: 20_000 });
    const port = await kept.pasvListen();
    const channelEnded = new Promise((resolve) => kept.channel.once('close', resolve));
    await control.closeSession(sid);
    await channelEnded;
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await control.closeSession(sid);
    await control.closeSession(999_999);
    await passiveWorks(witness);
  });

  test('openSession again for the same id replaces that session\'s channel, not another\'s', async () => {
    const sid = ++lastSid;
    const first = await BrokerClient.connect(await openSessionEnd(CLIENT, sid), dataProtocol, { timeout: 20_000 });
    const firstEnded = new Promise((resolve) => first.channel.once('close', resolve));
    const second = await BrokerClient.connect(await openSessionEnd(CLIENT, sid), dataProtocol, { timeout: 20_000 });
    await firstEnded;
    await passiveWorks(second);
    await passiveWorks(witness);
    second.close();
  });

  test('a second configure is refused with EALREADY, and the helper keeps its settings and sessions', async () => {
    await expect(control.configure(JSON.stringify({ ...settings, portPromiscuous: true }))).rejects.toMatchObject({ code: 'EALREADY', request: 'configure' });
    await passiveWorks(witness);
    // Still not promiscuous: the first settings hold.
    await expect(witness.portConnect('127.0.0.2', 2121)).rejects.toMatchObject({ code: 'EACCES' });
  });
});

describe.runIf(isRoot)('the nobody helper against a misbehaving worker (data table)', () => {
  test('pasvAccept without pasvListen is refused with ENOTCONN; the session then works', async () => {
    const session = await openSession();
    await expect(session.pasvAccept(100)).rejects.toMatchObject({ code: 'ENOTCONN', request: 'pasvAccept' });
    await passiveWorks(session);
    await passiveWorks(witness);
    session.close();
  });

  test('portConnect anywhere but the session\'s client, or to a privileged port, is refused with EACCES (no bounce)', async () => {
    const session = await openSession();
    // The test closes its ends unread: a reset on the server's side is expected.
    const target = net.createServer((s) => s.on('error', () => {}).end('reached'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.2', resolve));
    const port = (target.address() as net.AddressInfo).port;
    try {
      await expect(session.portConnect('127.0.0.2', port)).rejects.toMatchObject({ code: 'EACCES', request: 'portConnect' });
      await expect(session.portConnect('::ffff:127.0.0.2', port)).rejects.toMatchObject({ code: 'EACCES' });
      await expect(session.portConnect('localhost', port)).rejects.toMatchObject({ code: 'EACCES' });
      await expect(session.portConnect('127.0.0.1', 21)).rejects.toMatchObject({ code: 'EACCES' });
      await expect(session.portConnect('127.0.0.1', 70_000)).rejects.toMatchObject({ code: 'EINVAL' });
      // The client itself is reachable.
      const own = net.createServer((s) => s.on('error', () => {}).end('client'));
      await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
      const fd = await session.portConnect('127.0.0.1', (own.address() as net.AddressInfo).port);
      fd.close();
      own.close();
      await passiveWorks(session);
    } finally {
      target.close();
      session.close();
    }
  });

  test('a buf at the limit is judged like any address; one byte over closes that session only', async () => {
    const limit = 64 * 1024;
    const session = await openSession();
    await expect(session.portConnect(Buffer.alloc(limit, 0x31), 2121)).rejects.toMatchObject({ code: 'EACCES' });
    await passiveWorks(session);
    session.close();

    // A worker that ignores the limit: the frame is refused from its header, and that channel closes.
    const raw = Channel.fromFd(await openSessionEnd());
    await raw.receive(); // the helper's hello
    await raw.send(encodeHello('client', dataTable));
    const over = encodeRequest(dataTable.byName.get('portConnect')!, [Buffer.alloc(limit + 1, 0x31), 2121], limit + 1).data;
    await raw.send(over);
    await expect(raw.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    await passiveWorks(witness);
  });

  test('a frame header announcing 2^32-1 bytes and fds closes that session only', async () => {
    for (const [length, fds] of [[0xffffffff, 0], [0, 0xffffffff]] as const) {
      const raw = Channel.fromFd(await openSessionEnd());
      await raw.receive();
      await raw.send(encodeHello('client', dataTable));
      // Written past the Channel, which would refuse to send such a header.
      native.sendmsg(raw.fd, [encodeHeader(length, fds)], null);
      await expect(raw.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    }
    await passiveWorks(witness);
    expect(helper.exitStatus).toBe(null);
  });
});
