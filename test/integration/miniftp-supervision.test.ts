// miniftp's master watching its children: a killed helper is replaced and
// live sessions get data channels to the new one; a stopped worker is found
// by the master's ping and replaced; the helper and the pre-login worker run
// as uids of their own; no child holds the master's stdio or the log file.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, passiveData, rawLogin } from '../helpers/ftp-clients.js';
import { createUser, processIdentity, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { isAlive, waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';

const PING_SECONDS = 2;
const NOBODY = 65534;

function uidOf(pid: number): number {
  return Number(processIdentity(pid).Uid.split('\t')[0]);
}

// LIST over a new passive connection; the reply codes and the listing.
async function passiveList(client: RawClient): Promise<{ codes: number[]; text: string }> {
  const data = await passiveData(client);
  let text = '';
  data.on('data', (d) => (text += d));
  const closed = new Promise((r) => data.on('close', r));
  const first = await client.command('LIST');
  const codes = [first.code];
  if (first.code === 150) {
    await closed;
    codes.push((await client.replies(1))[0]!.code);
  }
  data.destroy();
  return { codes, text };
}

// PASV + LIST until one works (the session's new data channel reaches its
// worker soon after the new helper starts); the listing, or why not.
async function listsAgain(client: RawClient): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const reply = await client.command('PASV');
    if (reply.code === 227) {
      const result = await passiveList(client);
      if (result.codes.at(-1) === 226) return result.text;
    } else if (reply.code !== 425) {
      return `PASV answered ${reply.code} ${reply.text}`;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return 'no listing through a new helper';
}

describe.skipIf(!requireRoot('miniftp supervision'))('miniftp supervision', () => {
  let server: RunningMiniftp;
  let erin: TestUser;
  const password = 'erin-secret';

  beforeAll(async () => {
    erin = createUser('mfs', password);
    fs.writeFileSync(path.join(erin.home, 'listed.txt'), 'here\n');
    server = await startMiniftp({ chroot_local_user: 'YES', worker_ping_interval: PING_SECONDS });
  });

  afterAll(async () => {
    await server?.stop();
    erin?.remove();
  });

  const preloginWorker = (): number | undefined => server.processes().workers.find((pid) => uidOf(pid) === 65532);

  it('the helper and the pre-login worker have uids of their own: not nobody, not each other\'s', () => {
    const helper = server.processes().helper[0]!;
    const prelogin = preloginWorker()!;
    expect(uidOf(helper)).not.toBe(uidOf(prelogin));
    expect(uidOf(helper)).not.toBe(NOBODY);
    expect(uidOf(prelogin)).not.toBe(NOBODY);
    // Neither is dumpable (/proc shows a process that is not as root's).
    expect(fs.statSync(`/proc/${helper}/fd`).uid).toBe(0);
    expect(fs.statSync(`/proc/${prelogin}/fd`).uid).toBe(0);
  });

  it('no child holds the master\'s stdin, stdout or stderr, or the log file', async () => {
    const client = await rawLogin(server.port, erin.name, password);
    expect((await passiveList(client)).codes).toEqual([150, 226]);
    const { helper, workers } = server.processes();
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const logFile = fs.realpathSync(server.logFile);
    const masterStdio = ['0', '1', '2'].map((fd) => fs.readlinkSync(`/proc/${server.pid}/fd/${fd}`));
    // The test's master writes to pipes (sockets) it inherited: a child must hold none of them.
    expect(masterStdio[2]).not.toBe('/dev/null');
    for (const pid of [...helper, ...workers]) {
      for (const fd of ['0', '1']) expect(fs.readlinkSync(`/proc/${pid}/fd/${fd}`), `pid ${pid} fd ${fd}`).toBe('/dev/null');
      // stderr: a socket of its own, which the master reads.
      const stderr = fs.readlinkSync(`/proc/${pid}/fd/2`);
      expect(stderr, `pid ${pid} fd 2`).toMatch(/^socket:/);
      expect(masterStdio).not.toContain(stderr);
      const open = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(open, `pid ${pid}`).not.toContain(logFile);
    }
    await client.command('QUIT');
    client.destroy();
    // The worker's transfer is still logged, by the master, with the worker's pid.
    const userWorker = workers.find((pid) => uidOf(pid) === erin.uid)!;
    await waitFor(() => fs.readFileSync(server.logFile, 'utf8').includes(`[pid ${userWorker}] [${erin.name}] DISCONNECT`), 10_000, 'the log lines');
    expect(fs.readFileSync(server.logFile, 'utf8')).toMatch(new RegExp(`\\[pid ${userWorker}\\] \\[${erin.name}\\] OK LOGIN: Client "127\\.0\\.0\\.1"`));
  });

  it('a killed helper is replaced: a transfer in flight fails with 4xx, then the same session lists again', async () => {
    const client = await rawLogin(server.port, erin.name, password);
    expect((await passiveList(client)).codes).toEqual([150, 226]);
    const oldHelper = server.processes().helper[0]!;
    // A LIST waiting for its passive connection when the helper dies.
    expect((await client.command('PASV')).code).toBe(227);
    client.send('LIST\r\n');
    await new Promise((r) => setTimeout(r, 300));
    process.kill(oldHelper, 'SIGKILL');
    const [failed] = await client.replies(1, 15_000);
    expect(failed!.code).toBeGreaterThanOrEqual(400);
    expect(failed!.code).toBeLessThan(500);
    await waitFor(() => server.processes().helper.some((pid) => pid !== oldHelper), 15_000, 'a new helper');
    expect(await listsAgain(client)).toContain('listed.txt');
    expect((await client.command('NOOP')).code).toBe(200);
    client.destroy();
  });

  it('a stopped helper is found by the ping and replaced; a session logged in before lists again', async () => {
    const client = await rawLogin(server.port, erin.name, password);
    const stopped = server.processes().helper[0]!;
    process.kill(stopped, 'SIGSTOP');
    try {
      await waitFor(() => !isAlive(stopped), 4 * PING_SECONDS * 1000 + 10_000, 'the stopped helper to be killed');
      expect(await listsAgain(client)).toContain('listed.txt');
    } finally {
      if (isAlive(stopped)) process.kill(stopped, 'SIGCONT');
    }
    client.destroy();
  });

  it('a stopped pre-login worker is replaced within the ping interval; a connection made meanwhile gets its banner and logs in', async () => {
    const stopped = preloginWorker()!;
    process.kill(stopped, 'SIGSTOP');
    try {
      const started = Date.now();
      const client = await RawClient.connect(server.port);
      const [banner] = await client.replies(1, 4 * PING_SECONDS * 1000 + 10_000);
      expect(banner!.code).toBe(220);
      // Without the ping the connection waits for the stopped worker until SIGCONT.
      expect(Date.now() - started).toBeLessThan(4 * PING_SECONDS * 1000 + 10_000);
      client.send(`USER ${erin.name}\r\nPASS ${password}\r\n`);
      const [, login] = await client.replies(2);
      expect(login!.code).toBe(230);
      client.destroy();
      await waitFor(() => !isAlive(stopped), 10_000, 'the stopped worker to be killed');
      expect(preloginWorker()).not.toBe(stopped);
    } finally {
      if (isAlive(stopped)) process.kill(stopped, 'SIGCONT');
    }
  });

  it('a stopped user worker is killed: its session ends and the next login gets a new worker', async () => {
    const client = await rawLogin(server.port, erin.name, password);
    const worker = server.processes().workers.find((pid) => uidOf(pid) === erin.uid)!;
    process.kill(worker, 'SIGSTOP');
    try {
      await client.closedByServer(4 * PING_SECONDS * 1000 + 10_000);
      await waitFor(() => !isAlive(worker), 10_000, 'the stopped worker to be killed');
      const again = await rawLogin(server.port, erin.name, password);
      expect((await again.command('PWD')).code).toBe(257);
      again.destroy();
    } finally {
      if (isAlive(worker)) process.kill(worker, 'SIGCONT');
    }
  });
});

describe.skipIf(!requireRoot('miniftp role uids'))('miniftp role uids', () => {
  it('refuses to start when helper_uid belongs to an account, naming the setting and the account', async () => {
    const error = await startMiniftp({ helper_uid: NOBODY }).then(
      async (server) => {
        await server.stop();
        return null;
      },
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/:\d+: bad value "65534" for helper_uid: it is the uid of the account nobody; it must be an id that no account has/);
  });

  it('refuses the same uid for both roles', async () => {
    const error = await startMiniftp({ helper_uid: 65531, prelogin_uid: 65531 }).catch((err: Error) => err);
    expect((error as Error).message).toMatch(/:\d+: bad value "65531" for prelogin_uid: helper_uid and prelogin_uid must differ/);
  });
});
