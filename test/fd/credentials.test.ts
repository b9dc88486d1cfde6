// SCM_CREDENTIALS: each received message carries its sender's pid, uid and
// gid as the kernel checked them, on stream, seqpacket and datagram sockets;
// a sender states only what the kernel allows it.
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, DatagramSocket, connectUnix, listenUnix, spawnWithCredentials, socketPair, type PeerCredentials } from '../../src/index.js';
import { native } from '../../src/native.js';
import { fixture } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';

const me: PeerCredentials = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
const open: Array<{ close(): void }> = [];

afterAll(() => {
  for (const thing of open) thing.close();
});

function channelPair(type: 'stream' | 'seqpacket'): [Channel, Channel] {
  const [a, b] = socketPair(type);
  const pair: [Channel, Channel] = [Channel.fromFd(a), Channel.fromFd(b, { credentials: true })];
  open.push(...pair);
  return pair;
}

describe.each(['stream', 'seqpacket'] as const)('a Channel with credentials on a %s socket', (type) => {
  it("gives each message the sender's pid, uid and gid; a channel without the option gives none", async () => {
    const [sender, receiver] = channelPair(type);
    await sender.send('hello');
    const message = await receiver.receive();
    expect(message.data.toString()).toBe('hello');
    expect(message.credentials).toEqual(me);
    await receiver.send('back');
    expect((await sender.receive()).credentials).toBeUndefined();
  });

  it.runIf(requireRoot(`stated credentials on ${type}`))('root states other ids; messages of different credentials stay apart', async () => {
    const [sender, receiver] = channelPair(type);
    // All queued before the receiver reads: a read joining them would give all the first one's credentials.
    await Promise.all([
      sender.send('mine'),
      sender.send('stated', [], { credentials: { uid: 1234, gid: 5678 } }),
      sender.send('stated too', [], { credentials: { uid: 1234, gid: 5678 } }),
      sender.send('mine again'),
    ]);
    const got = [];
    for (let i = 0; i < 4; i++) {
      const { data, credentials } = await receiver.receive();
      got.push({ text: data.toString(), credentials });
    }
    const stated = { pid: process.pid, uid: 1234, gid: 5678 };
    expect(got).toEqual([
      { text: 'mine', credentials: me },
      { text: 'stated', credentials: stated },
      { text: 'stated too', credentials: stated },
      { text: 'mine again', credentials: me },
    ]);
  });
});

describe('credentials', () => {
  it('a message sent before the receiver turned credentials on has none (null), the next one has them', async () => {
    const [a, b] = socketPair('stream');
    const sender = Channel.fromFd(a);
    open.push(sender);
    await sender.send('early');
    const receiver = Channel.fromFd(b, { credentials: true });
    open.push(receiver);
    await sender.send('late');
    expect((await receiver.receive()).credentials).toBeNull();
    expect((await receiver.receive()).credentials).toEqual(me);
  });

  it('a listener with credentials gives them to its connections, even for what a client sent before the accept', async () => {
    const name = `\0privsep-test-${process.pid}-creds`;
    const server = listenUnix(name, { credentials: true });
    open.push(server);
    const accepted = new Promise<Channel>((resolve) => server.once('connection', resolve));
    const client = await connectUnix(name);
    open.push(client);
    await client.send('first words');
    const channel = await accepted;
    open.push(channel);
    const message = await channel.receive();
    expect(message.data.toString()).toBe('first words');
    expect(message.credentials).toEqual(me);
  });

  it('a DatagramSocket with credentials gives them with each datagram', async () => {
    const [a, b] = socketPair('dgram');
    const sender = DatagramSocket.fromFd(a);
    const receiver = DatagramSocket.fromFd(b, { credentials: true });
    open.push(sender, receiver);
    await sender.send('hello');
    expect((await receiver.receive()).credentials).toEqual(me);
    await receiver.send('back');
    expect((await sender.receive()).credentials).toBeNull();
  });

  it.runIf(requireRoot('stated credentials on dgram'))('root states another pid, uid and gid on a datagram', async () => {
    const [a, b] = socketPair('dgram');
    const sender = DatagramSocket.fromFd(a);
    const receiver = DatagramSocket.fromFd(b, { credentials: true });
    open.push(sender, receiver);
    // Another live process's pid too: root has CAP_SYS_ADMIN.
    await sender.send('stated', [], { credentials: { pid: process.ppid, uid: 4321, gid: 8765 } });
    expect((await receiver.receive()).credentials).toEqual({ pid: process.ppid, uid: 4321, gid: 8765 });
  });

  it.runIf(requireRoot('bytes of two credentials in one message'))('a message whose bytes came with two credentials closes the channel with a ProtocolError', async () => {
    const [a, b] = socketPair('stream');
    const receiver = Channel.fromFd(b, { credentials: true });
    open.push(receiver);
    // A hand-made frame (8-byte header: length, fd count) whose header and payload go with different credentials.
    const header = Buffer.alloc(8);
    header.writeUInt32LE(4, 0);
    native.sendmsg(a.fd, [header], null, Int32Array.of(process.pid, 1234, 1234));
    native.sendmsg(a.fd, [Buffer.from('tail')], null);
    const closed = new Promise<Error>((resolve) => receiver.once('error', resolve));
    await expect(receiver.receive()).rejects.toMatchObject({ code: 'ERR_PRIVSEP_CHANNEL_CLOSED' });
    expect(await closed).toMatchObject({ code: 'ERR_PRIVSEP_PROTOCOL', message: expect.stringContaining('two senders') });
    a.close();
  });

  it('a Channel that did not ask for credentials refuses a socket that passes them anyway', async () => {
    const [a, b] = socketPair('stream');
    native.setPassCred(b.fd, true);
    const sender = Channel.fromFd(a);
    const receiver = Channel.fromFd(b);
    open.push(sender, receiver);
    const failed = new Promise<Error>((resolve) => receiver.once('error', resolve));
    await sender.send('unasked');
    expect(await failed).toMatchObject({ code: 'ERR_PRIVSEP_UNEXPECTED_CONTROL_MESSAGE', syscall: 'recvmsg' });
  });

  it('SO_PEERCRED stays beside it: peerCredentials() names the peer process', () => {
    const [sender, receiver] = channelPair('stream');
    expect(receiver.peerCredentials()).toEqual(me);
    expect(sender.peerCredentials()).toEqual(me);
  });

  it('bad options are refused with Node argument errors', async () => {
    const [a, b] = socketPair('stream');
    b.close();
    expect(() => Channel.fromFd(a, { credentials: 1 as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const [sender] = channelPair('stream');
    await expect(sender.send('x', [], { credentials: { uid: 'root' as unknown as number } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(sender.send('x', [], { credentials: { uid: 2 ** 32 - 1 } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(sender.send('x', [], { credentials: { pid: 0 } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(sender.send('x', [], { credentials: null as unknown as PeerCredentials })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe.runIf(requireRoot('credentials of an unprivileged sender'))('an unprivileged sender (uid 65534)', () => {
  it('is seen as itself, and the kernel refuses (EPERM) when it claims uid 0, gid 0 or another pid', async () => {
    const [mine, theirs] = socketPair('stream');
    const receiver = Channel.fromFd(mine, { credentials: true });
    open.push(receiver);
    const child = spawnWithCredentials(process.execPath, [fixture('credentials-sender.mjs')], {
      uid: 65534,
      gid: 65534,
      fds: { 3: theirs, 2: 'inherit' },
      cwd: '/',
    });
    theirs.close();
    const messages = [];
    for (let i = 0; i < 3; i++) messages.push(await receiver.receive());
    const status = await child.exited;
    expect(status).toEqual({ code: 0, signal: null });
    const nobody = { pid: child.pid, uid: 65534, gid: 65534 };
    expect(messages.map((m) => m.credentials)).toEqual([nobody, nobody, nobody]);
    expect(messages.map((m) => m.data.toString()).slice(0, 2)).toEqual(['plain', 'states its own']);
    const report = JSON.parse(messages[2]!.data.toString());
    const eperm = { code: 'EPERM', syscall: 'sendmsg', errno: -1 };
    expect(report).toEqual({ ...nobody, refused: { uid0: eperm, gid0: eperm, pid1: eperm }, own: null });
  });
});
