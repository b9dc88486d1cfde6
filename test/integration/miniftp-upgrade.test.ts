// miniftp upgrades itself without losing a connection: clients log in over
// and over while the server upgrades twice (SIGUSR2), downloads running
// across each upgrade end whole, each old master ends with its last session;
// upgrade_drain_timeout bounds the wait; a new generation that cannot
// start leaves the old one serving; and
// `miniftp --upgrade` takes the listener over the upgrade socket.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, curl, rawLogin, sha256File } from '../helpers/ftp-clients.js';
import { createUser, miniftpMain, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { isAlive, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';
import { lacksTools } from '../helpers/tools.js';

const password = 'upgrade-secret';
// Large enough that a download at local_max_rate spans an upgrade.
const BIG_BYTES = 2_500_000;
const RATE = 500_000;

describe.skipIf(!requireRoot('miniftp upgrades') || lacksTools('miniftp upgrades', 'curl'))('miniftp upgrades', () => {
  let user: TestUser;
  let scratch: string;
  const servers: RunningMiniftp[] = [];
  const generations = new Set<number>();
  const handStarted: ChildProcess[] = [];

  beforeAll(() => {
    user = createUser('mfup', password);
    fs.writeFileSync(path.join(user.home, 'big.bin'), crypto.randomBytes(BIG_BYTES));
    fs.chownSync(path.join(user.home, 'big.bin'), user.uid, user.gid);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-upgrade-'));
  });

  // Every generation ends: the old ones have (or are made to), the newest is stopped.
  afterAll(async () => {
    for (const pid of generations) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    await waitFor(() => ![...generations].some(isAlive), 15_000, 'every generation to exit').catch(() => {
      for (const pid of generations) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    for (const child of handStarted) if (child.exitCode === null) child.kill('SIGKILL');
    for (const server of servers) await server.stop();
    user?.remove();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function start(settings: Record<string, string | number> = {}): Promise<RunningMiniftp> {
    const server = await startMiniftp({ local_max_rate: RATE, max_per_ip: 200, ...settings });
    servers.push(server);
    generations.add(server.pid);
    return server;
  }

  // The pid of the generation that took the listener from `pid`, once it has said so.
  async function successorOf(output: () => string, pid: number): Promise<number> {
    const pattern = new RegExp(`miniftp: pid (\\d+) took the listener from pid ${pid}\\b`);
    await waitFor(() => pattern.test(output()), 60_000, `a new generation to take the listener from ${pid}`);
    const next = Number(pattern.exec(output())![1]);
    generations.add(next);
    return next;
  }

  // Logs in and out over and over on two connections at a time until `done()`
  // (at most 4000 sessions or 120 s); every refused, reset or wrong reply is a failure.
  async function loginLoop(port: number, done: () => boolean): Promise<{ logins: number[]; failures: string[] }> {
    const logins: number[] = [];
    const failures: string[] = [];
    const deadline = Date.now() + 120_000;
    const one = async (): Promise<void> => {
      const client = await RawClient.connect(port);
      try {
        const [greeting] = await client.replies(1);
        client.send(`USER ${user.name}\r\nPASS ${password}\r\n`);
        const [, login] = await client.replies(2);
        const quit = await client.command('QUIT');
        const codes = `${greeting?.code} ${login?.code} ${quit.code}`;
        if (codes !== '220 230 221') throw new Error(`replies ${codes}`);
        logins.push(Date.now());
      } finally {
        client.destroy();
      }
    };
    const lane = async (): Promise<void> => {
      while (!done() && Date.now() < deadline && logins.length + failures.length < 4000) {
        await one().catch((err: Error & { code?: string }) => failures.push(err.code ?? err.message));
      }
    };
    await Promise.all([lane(), lane()]);
    return { logins, failures };
  }

  // A download at local_max_rate; resolves to the sha256 of what arrived, once its first bytes have.
  async function download(port: number, name: string): Promise<{ done: Promise<string>; received: () => number }> {
    const out = path.join(scratch, name);
    const done = curl(['-sS', '--max-time', '120', '-o', out, `ftp://${user.name}:${password}@127.0.0.1:${port}/big.bin`], 130_000).then(() => sha256File(out));
    done.catch(() => {});
    const received = (): number => fs.statSync(out, { throwIfNoEntry: false })?.size ?? 0;
    await waitFor(() => received() > 0, 30_000, `the download ${name} to start`);
    return { done, received };
  }

  // Sends SIGUSR2 to `pid` while `transfer` is in the middle; resolves to the new generation's pid.
  async function upgradeDuring(output: () => string, pid: number, transfer: { received: () => number }): Promise<number> {
    process.kill(pid, 'SIGUSR2');
    const next = await successorOf(output, pid);
    expect(transfer.received()).toBeLessThan(BIG_BYTES);
    // The old master still had the download's session (and others) when it let go.
    // It says so after its RELEASED, which the new one may have logged first.
    const handedOver = new RegExp(`pid ${next} accepts on the listener now; pid ${pid} ends once its ([0-9]+) sessions have`);
    await waitFor(() => handedOver.test(output()), 10_000, `pid ${pid} to say it handed over`);
    expect(Number(handedOver.exec(output())![1])).toBeGreaterThan(0);
    return next;
  }

  it('serves every login and finishes every download across two upgrades; each old master ends with its sessions', async () => {
    const server = await start();
    const expected = sha256File(path.join(user.home, 'big.bin'));
    let stop = false;
    const loop = loginLoop(server.port, () => stop);
    const first = await download(server.port, 'first.bin');
    // A client greeted by the old generation that logs in only after the upgrade.
    const greeted = await RawClient.connect(server.port);
    expect((await greeted.replies(1))[0]?.code).toBe(220);
    const gen1 = await upgradeDuring(server.output, server.pid, first);
    greeted.send(`USER ${user.name}\r\nPASS ${password}\r\n`);
    expect((await greeted.replies(2)).map((r) => r.code)).toEqual([331, 230]);
    expect((await greeted.command('QUIT')).code).toBe(221);
    greeted.destroy();
    // The old generation takes no new session: its spares stop at once.
    await waitFor(() => server.processes().spares.length === 0, 15_000, 'the old spares to stop');
    const second = await download(server.port, 'second.bin');
    const gen2 = await upgradeDuring(server.output, gen1, second);
    const gen2Since = Date.now();
    expect(await first.done).toBe(expected);
    expect(await second.done).toBe(expected);
    await waitFor(() => !isAlive(server.pid) && !isAlive(gen1), 60_000, 'both old masters to exit');
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    const { logins, failures } = await loop;
    expect(failures).toEqual([]);
    expect(logins.filter((t) => t > gen2Since).length).toBeGreaterThan(0);
    expect(logins.length).toBeGreaterThan(20);
    for (const pid of [server.pid, gen1]) {
      expect(server.output()).toMatch(new RegExp(`pid ${pid}: the last session of this generation has ended; exiting`));
    }
    // The newest generation answers on the same port.
    const client = await rawLogin(server.port, user.name, password);
    client.destroy();
    expect(isAlive(gen2)).toBe(true);
  });

  it('an old generation ends its sessions left after upgrade_drain_timeout', async () => {
    const server = await start({ upgrade_drain_timeout: 2 });
    const idle = await rawLogin(server.port, user.name, password);
    process.kill(server.pid, 'SIGUSR2');
    await successorOf(server.output, server.pid);
    await waitFor(() => !isAlive(server.pid), 30_000, 'the old master to exit');
    const ended = `pid ${server.pid}: upgrade_drain_timeout (2 s) has passed; closing 1 sessions and exiting`;
    await waitFor(() => server.output().includes(ended), 10_000, 'the old master\'s last words');
    await idle.closedByServer();
    (await rawLogin(server.port, user.name, password)).destroy();
  });

  it('a new generation that cannot start leaves the old one serving; `miniftp --upgrade` takes the listener over upgrade_socket', async () => {
    const socket = path.join(scratch, 'upgrade.sock');
    const server = await start({ upgrade_socket: socket });
    const configFile = path.join(server.dir, 'miniftp.conf');
    const good = fs.readFileSync(configFile, 'utf8');
    fs.writeFileSync(configFile, `${good}listen_port=not-a-port\n`);
    process.kill(server.pid, 'SIGUSR2');
    await waitFor(() => /upgrade failed, this generation goes on serving: .*exited with code 2 before it was ready/.test(server.output()), 60_000, 'the upgrade to fail');
    expect(server.output()).toMatch(/listen_port/);
    (await rawLogin(server.port, user.name, password)).destroy();
    expect(isAlive(server.pid)).toBe(true);

    fs.writeFileSync(configFile, good);
    const upgrader = spawn(process.execPath, [miniftpMain, '--upgrade', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    handStarted.push(upgrader);
    let output = '';
    upgrader.stdout!.on('data', (d) => (output += d));
    upgrader.stderr!.on('data', (d) => (output += d));
    const next = await successorOf(() => output, server.pid);
    expect(next).toBe(upgrader.pid);
    await waitFor(() => !isAlive(server.pid), 30_000, 'the old master to exit');
    expect(output).toMatch(new RegExp(`listening on 127\\.0\\.0\\.1:${server.port} `));
    (await rawLogin(server.port, user.name, password)).destroy();
    // The new generation listens on the upgrade socket in its turn, and removes it when it stops.
    await waitFor(() => fs.existsSync(socket), 10_000, 'the new generation\'s upgrade socket');
    upgrader.kill('SIGTERM');
    await waitFor(() => upgrader.exitCode !== null, 15_000, 'the new generation to stop');
    expect(fs.existsSync(socket)).toBe(false);
  });
});
