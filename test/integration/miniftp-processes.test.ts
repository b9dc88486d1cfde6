// miniftp's process design, seen from /proc: who is who, what each holds,
// which network namespace each is in, and what happens when one dies.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passiveData, RawClient } from '../helpers/ftp-clients.js';
import { createUser, processIdentity, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { needTools } from '../helpers/tools.js';

const run = promisify(execFile);
const CAP_NET_BIND_SERVICE = (1n << 10n).toString(16).padStart(16, '0');
const NO_CAPS = '0000000000000000';

describe.skipIf(!requireRoot('miniftp process design'))('miniftp processes', () => {
  let server: RunningMiniftp;
  let alice: TestUser;
  let anonRoot: string;

  beforeAll(async () => {
    alice = createUser('mfa', 'alice-secret');
    anonRoot = fs.mkdtempSync('/tmp/miniftp-anon-');
    fs.chmodSync(anonRoot, 0o755);
    fs.writeFileSync(path.join(anonRoot, 'public.txt'), 'for everyone\n');
    server = await startMiniftp({ anonymous_enable: 'YES', anon_root: anonRoot, chroot_local_user: 'YES', write_enable: 'YES' });
  });

  afterAll(async () => {
    await server?.stop();
    alice?.remove();
    fs.rmSync(anonRoot, { recursive: true, force: true });
  });

  async function login(user: string, password: string): Promise<RawClient> {
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    expect((await client.command(`USER ${user}`)).code).toBe(331);
    expect((await client.command(`PASS ${password}`)).code).toBe(230);
    return client;
  }

  it('the master is root; the helper has its own uid and only CAP_NET_BIND_SERVICE; the pre-login worker, its own uid, chrooted, nothing else', () => {
    expect(processIdentity(server.pid)).toMatchObject({ Uid: '0\t0\t0\t0' });
    const { helper, workers } = server.processes();
    expect(helper).toHaveLength(1);
    expect(processIdentity(helper[0]!)).toMatchObject({
      Uid: '65533\t65533\t65533\t65533', Gid: '65534\t65534\t65534\t65534', Groups: '',
      CapPrm: CAP_NET_BIND_SERVICE, CapEff: CAP_NET_BIND_SERVICE, CapBnd: CAP_NET_BIND_SERVICE, CapInh: NO_CAPS, CapAmb: NO_CAPS, NoNewPrivs: '1',
      net: fs.readlinkSync(`/proc/${server.pid}/ns/net`),
    });
    expect(workers).toHaveLength(1);
    const prelogin = processIdentity(workers[0]!);
    expect(prelogin).toMatchObject({
      Uid: '65532\t65532\t65532\t65532', CapPrm: NO_CAPS, CapEff: NO_CAPS, CapInh: NO_CAPS, CapAmb: NO_CAPS, CapBnd: NO_CAPS,
      NoNewPrivs: '1', root: path.join(server.dir, 'empty'),
    });
    expect(prelogin.net).not.toBe(fs.readlinkSync(`/proc/${server.pid}/ns/net`));
  });

  it('USER, PASS and PWD in one write all get their replies, from a worker with the user\'s ids', async () => {
    const client = await RawClient.connect(server.port);
    await client.replies(1);
    client.send(`USER ${alice.name}\r\nPASS alice-secret\r\nPWD\r\n`);
    const [user, pass, pwd] = await client.replies(3);
    expect(user!.code).toBe(331);
    expect(pass!.code).toBe(230);
    expect(pwd!.code).toBe(257);
    expect(pwd!.text).toContain('"/"');
    const userWorker = server.processes().workers.find((pid) => processIdentity(pid).Uid.startsWith(`${alice.uid}\t`));
    expect(userWorker).toBeDefined();
    const identity = processIdentity(userWorker!);
    expect(identity).toMatchObject({
      Uid: `${alice.uid}\t${alice.uid}\t${alice.uid}\t${alice.uid}`, Gid: `${alice.gid}\t${alice.gid}\t${alice.gid}\t${alice.gid}`,
      Groups: String(alice.gid), CapPrm: NO_CAPS, CapEff: NO_CAPS, CapBnd: NO_CAPS, NoNewPrivs: '1', root: alice.home,
    });
    // Every thread of the worker, not just the main one.
    for (const tid of fs.readdirSync(`/proc/${userWorker}/task`)) {
      const status = fs.readFileSync(`/proc/${userWorker}/task/${tid}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\t${alice.uid}\\t${alice.uid}\\t${alice.uid}\\t${alice.uid}$`, 'm'));
      expect(status).toMatch(/^CapEff:\t0{16}$/m);
    }
    await client.command('QUIT');
    client.destroy();
  });

  it('a worker cannot open a network connection: its namespace is empty', async (ctx) => {
    needTools(ctx, 'nsenter');
    const client = await login(alice.name, 'alice-secret');
    const worker = server.processes().workers.find((pid) => processIdentity(pid).Uid.startsWith(`${alice.uid}\t`))!;
    expect(processIdentity(worker).net).not.toBe(fs.readlinkSync(`/proc/${server.pid}/ns/net`));
    const probe = `require('net').connect(${server.port}, '127.0.0.1').on('connect', () => console.log('connected')).on('error', (e) => console.log(e.code))`;
    const { stdout } = await run('nsenter', ['--target', String(worker), '--net', process.execPath, '-e', probe]);
    expect(stdout.trim()).toBe('ENETUNREACH');
    client.destroy();
  });

  it('data sockets are made by the helper, and the worker gets them', async (ctx) => {
    needTools(ctx, 'ss');
    const client = await login('anonymous', 'guest@');
    const pasv = await client.command('PASV');
    expect(pasv.code).toBe(227);
    const nums = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(pasv.text)!.slice(1).map(Number);
    const port = nums[4]! * 256 + nums[5]!;
    const helper = server.processes().helper[0]!;
    const listening = (await run('ss', ['-Htlnp', `sport = :${port}`])).stdout;
    expect(listening).toContain(`pid=${helper},`);
    const data = net.connect(port, '127.0.0.1');
    let text = '';
    data.on('data', (d) => (text += d));
    const closed = new Promise((r) => data.on('close', r));
    expect((await client.command('RETR public.txt')).code).toBe(150);
    await closed;
    expect((await client.replies(1))[0]!.code).toBe(226);
    expect(text).toBe('for everyone\n');
    client.destroy();
  });

  it('the helper gets a session\'s data channel only when the session first asks for a data connection', async () => {
    const helper = server.processes().helper[0]!;
    const sockets = (): number => fs.readdirSync(`/proc/${helper}/fd`).filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/${helper}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
    // The sockets of earlier tests' sessions are gone first.
    let before = sockets();
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = sockets();
      if (now === before) break;
      before = now;
    }
    const clients = [await login(alice.name, 'alice-secret'), await login(alice.name, 'alice-secret'), await login('anonymous', 'guest@')];
    for (const client of clients) expect((await client.command('PWD')).code).toBe(257);
    expect(sockets()).toBeLessThanOrEqual(before);
    const data = await passiveData(clients[2]!);
    let text = '';
    data.on('data', (d) => (text += d));
    const closed = new Promise((r) => data.on('close', r));
    expect((await clients[2]!.command('RETR public.txt')).code).toBe(150);
    await closed;
    expect((await clients[2]!.replies(1))[0]!.code).toBe(226);
    expect(text).toBe('for everyone\n');
    for (const client of clients) client.destroy();
  });

  it('a crashed worker ends only its own sessions', async () => {
    const anonymous = await login('anonymous', 'guest@');
    const user = await login(alice.name, 'alice-secret');
    const aliceWorker = server.processes().workers.find((pid) => processIdentity(pid).Uid.startsWith(`${alice.uid}\t`))!;
    const gone = new Promise((r) => user.socket.once('close', r));
    process.kill(aliceWorker, 'SIGKILL');
    await gone;
    expect((await anonymous.command('NOOP')).code).toBe(200);
    expect(server.child.exitCode).toBeNull();
    const again = await login(alice.name, 'alice-secret');
    expect((await again.command('PWD')).code).toBe(257);
    await waitFor(() => !server.processes().workers.includes(aliceWorker), 5000, 'the dead worker to be gone');
    anonymous.destroy();
    again.destroy();
  });
});
