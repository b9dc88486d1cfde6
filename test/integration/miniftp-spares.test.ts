// spare_workers: user workers started ahead, as root in an empty network
// namespace and without any client's connection, each taken by the first
// login of one user, dropped to that user's ids on every thread, and
// replaced; with spare_workers=0 a login starts its worker itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, processIdentity, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { SCHED_IDLE, SCHED_OTHER, readThreads, threadPolicies } from '../helpers/proc-status.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { lacksTools } from '../helpers/tools.js';

const NO_CAPS = '0000000000000000';
const PASSWORD = 'spare-secret';

async function login(server: RunningMiniftp, user: TestUser): Promise<RawClient> {
  const client = await RawClient.connect(server.port);
  await client.replies(1);
  expect((await client.command(`USER ${user.name}`)).code).toBe(331);
  expect((await client.command(`PASS ${PASSWORD}`)).code).toBe(230);
  return client;
}

function workerOf(server: RunningMiniftp, user: TestUser): number | undefined {
  return server.processes().workers.find((pid) => processIdentity(pid).Uid.startsWith(`${user.uid}\t`));
}

/** Every thread of `pid` runs with the user's ids, groups and no capabilities. */
function expectUserIds(pid: number, user: TestUser): void {
  const threads = readThreads(pid);
  expect(threads.length).toBeGreaterThan(1);
  for (const { fields } of threads) {
    expect(fields).toMatchObject({
      Uid: `${user.uid} ${user.uid} ${user.uid} ${user.uid}`, Gid: `${user.gid} ${user.gid} ${user.gid} ${user.gid}`,
      Groups: String(user.gid), CapPrm: NO_CAPS, CapEff: NO_CAPS, CapBnd: NO_CAPS, NoNewPrivs: '1',
    });
  }
}

// The inodes of the TCP sockets in the master's network namespace.
function tcpInodes(masterPid: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of fs.readFileSync(`/proc/${masterPid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode) inodes.add(inode);
    }
  }
  return inodes;
}

function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.push(match[1]!);
  }
  return inodes;
}

describe.skipIf(!requireRoot('miniftp spare workers'))('miniftp spare workers (default spare_workers=2)', () => {
  let server: RunningMiniftp;
  const users: TestUser[] = [];
  const clients: RawClient[] = [];
  const user = (i: number): TestUser => users[i]!;

  beforeAll(async () => {
    for (const prefix of ['spa', 'spb', 'spc']) users.push(createUser(prefix, PASSWORD));
    server = await startMiniftp({});
    await waitFor(() => server.processes().spares.length === 2, 20_000, 'two spare workers');
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
    for (const u of users) u.remove();
  });

  it('a spare waits as root in an empty network namespace, holding no TCP socket, nothing left of its warm-up', async () => {
    const masterNet = fs.readlinkSync(`/proc/${server.pid}/ns/net`);
    const tcp = tcpInodes(server.pid);
    const spares = server.processes().spares;
    // stderr, the monitor and control channels, the assignment fd: the
    // warm-up's socketpairs are closed once it is done.
    await waitFor(() => spares.every((spare) => socketInodes(spare).length <= 4), 20_000, 'the spares\' warm-up to end');
    for (const spare of spares) {
      expect(processIdentity(spare)).toMatchObject({ Uid: '0\t0\t0\t0' });
      expect(fs.readlinkSync(`/proc/${spare}/ns/net`)).not.toBe(masterNet);
      for (const inode of socketInodes(spare)) expect(tcp.has(inode)).toBe(false);
      // Started with the server, before any login: the normal class.
      expect(new Set(threadPolicies(spare))).toEqual(new Set([SCHED_OTHER]));
    }
  });

  it('the first login of a user takes a spare, which runs as that user on every thread; the pool refills', async () => {
    const before = server.processes().spares;
    clients.push(await login(server, user(0)));
    const worker = workerOf(server, user(0));
    expect(worker).toBeDefined();
    expect(before).toContain(worker);
    expectUserIds(worker!, user(0));
    expect(processIdentity(worker!).net).not.toBe(fs.readlinkSync(`/proc/${server.pid}/ns/net`));
    expect((await clients[0]!.command('PWD')).text).toContain(`"${user(0).home}"`);
    await waitFor(() => server.processes().spares.length === 2 && !server.processes().spares.includes(worker!), 20_000, 'the pool to refill');
    // The spare taken runs in the normal class; its replacement, started
    // while a spare was left, in SCHED_IDLE until a login takes it.
    expect(new Set(threadPolicies(worker!))).toEqual(new Set([SCHED_OTHER]));
    const [replacement] = server.processes().spares.filter((pid) => !before.includes(pid));
    expect(new Set(threadPolicies(replacement!))).toEqual(new Set([SCHED_IDLE]));
    // A real client, through the same worker.
    fs.writeFileSync(`${user(0).home}/mine.txt`, 'hello\n');
    const [, loggedIn, got] = await ftplibSteps(server.port, { user: user(0).name, password: PASSWORD, steps: [{ op: 'retr', path: 'mine.txt' }] });
    expect(loggedIn!.reply).toMatch(/^230 /);
    expect(got).toMatchObject({ bytes: 6, sha256: crypto.createHash('sha256').update('hello\n').digest('hex') });
    expect(workerOf(server, user(0))).toBe(worker);
  });

  it('two users never share a spare; a user\'s next login goes to the worker it has', async () => {
    clients.push(await login(server, user(1)));
    const first = workerOf(server, user(0))!;
    const second = workerOf(server, user(1))!;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expectUserIds(second, user(1));
    expectUserIds(first, user(0));
    await waitFor(() => server.processes().spares.length === 2, 20_000, 'the pool to refill');
    const spares = server.processes().spares;
    clients.push(await login(server, user(0)));
    expect(workerOf(server, user(0))).toBe(first);
    expect(server.processes().spares).toEqual(spares);
  });

  it('a spare that dies is replaced, the master keeps nothing of it, and the next new user gets a live one', async () => {
    await waitFor(() => server.processes().spares.length === 2, 20_000, 'two spares');
    const [victim, other] = server.processes().spares;
    const masterFds = (): string[] => fs.readdirSync(`/proc/${server.pid}/fd`);
    const fdsBefore = masterFds().length;
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => {
      const spares = server.processes().spares;
      return spares.length === 2 && !spares.includes(victim!) && spares.includes(other!);
    }, 20_000, 'a new spare in place of the dead one');
    // The replacement holds what the dead one held: its channels' ends and its stderr.
    await waitFor(() => masterFds().length === fdsBefore, 5000, `the master's fds back to ${fdsBefore}`).catch(() => {});
    expect(masterFds()).toHaveLength(fdsBefore);
    // Every spare now was started after a login took one: SCHED_IDLE until taken.
    for (const spare of server.processes().spares) expect(new Set(threadPolicies(spare))).toEqual(new Set([SCHED_IDLE]));
    clients.push(await login(server, user(2)));
    const worker = workerOf(server, user(2))!;
    expect(worker).toBeDefined();
    expectUserIds(worker, user(2));
    // Taken, it is back in the normal class on every thread.
    expect(new Set(threadPolicies(worker))).toEqual(new Set([SCHED_OTHER]));
    expect(server.output()).not.toMatch(/cannot start a spare/);
  });
});

// What a master that may not put a process back from SCHED_IDLE does: no
// CAP_SYS_NICE in its bounding set and an RLIMIT_NICE of 0 (the unit file's
// LimitNICE=0 is what allows it under systemd).
const noNiceSkip = !requireRoot('miniftp spares without CAP_SYS_NICE') || lacksTools('miniftp spares without CAP_SYS_NICE', 'setpriv', 'prlimit');
describe.skipIf(noNiceSkip)('miniftp spare workers where leaving SCHED_IDLE is refused', () => {
  let server: RunningMiniftp;
  const users: TestUser[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    for (const prefix of ['sna', 'snb', 'snc']) users.push(createUser(prefix, PASSWORD));
    server = await startMiniftp({}, { launcher: ['prlimit', '--nice=0:0', 'setpriv', '--bounding-set', '-sys_nice', '--'] });
    await waitFor(() => server.processes().spares.length === 2, 20_000, 'two spare workers');
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
    for (const u of users) u.remove();
  });

  it('a login that takes an idle spare gets a worker all the same, and later spares start in the normal class', async () => {
    // Two logins leave two spares started while logins ran: SCHED_IDLE.
    for (const u of users.slice(0, 2)) {
      clients.push(await login(server, u));
      await waitFor(() => server.processes().spares.length === 2, 20_000, 'the pool to refill');
    }
    const idle = server.processes().spares;
    // On failure, the server's output says whether a spare could not be put in the class.
    for (const spare of idle) expect(new Set(threadPolicies(spare)), `spare ${spare}; the server said:\n${server.output()}`).toEqual(new Set([SCHED_IDLE]));
    clients.push(await login(server, users[2]!));
    const worker = workerOf(server, users[2]!)!;
    expectUserIds(worker, users[2]!);
    expect(new Set(threadPolicies(worker))).toEqual(new Set([SCHED_OTHER]));
    expect(idle).not.toContain(worker);
    expect(server.output()).toMatch(/cannot leave the SCHED_IDLE class \(.*EPERM.*\); spares start in the normal class/);
    await waitFor(() => server.processes().spares.length === 2 && server.processes().spares.some((pid) => !idle.includes(pid)), 20_000, 'a new spare');
    for (const spare of server.processes().spares.filter((pid) => !idle.includes(pid))) {
      expect(new Set(threadPolicies(spare))).toEqual(new Set([SCHED_OTHER]));
    }
  });
});

describe.skipIf(!requireRoot('miniftp without spare workers'))('miniftp with spare_workers=0', () => {
  let server: RunningMiniftp;
  let user: TestUser;

  beforeAll(async () => {
    user = createUser('spz', PASSWORD);
    server = await startMiniftp({ spare_workers: 0 });
  });

  afterAll(async () => {
    await server?.stop();
    user?.remove();
  });

  it('keeps no spare; a login starts its user\'s worker', async () => {
    expect(server.processes().spares).toEqual([]);
    const before = new Set(server.processes().workers);
    const client = await login(server, user);
    const worker = workerOf(server, user)!;
    expect(worker).toBeDefined();
    expect(before.has(worker)).toBe(false);
    expectUserIds(worker, user);
    expect(server.processes().spares).toEqual([]);
    client.destroy();
  });
});
