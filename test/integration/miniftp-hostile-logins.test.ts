// Hostile clients at login on a real miniftp: failed logins hold back only
// their own session, and clients that send too much before their login
// completes lose their connection without keeping its slot.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, rawLogin } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';

const ATTACKERS = 60;
const DELAY_SECONDS = 3;
// A virtual user whose hash takes seconds to check (SHA-512 with 6 million rounds):
// the hash part does not matter for a wrong password, only the cost.
const SLOW_HASH = `$6$rounds=6000000$abcdefgh$${'x'.repeat(86)}`;

/** Connects, reads the banner, sends `bytes`, then closes (or waits for the server to close, at most `ms`). */
async function sendAndLeave(port: number, bytes: Buffer | string, waitForClose: boolean, ms = 30_000): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      resolve();
    });
    socket.once('close', () => reject(new Error(`closed before the banner: ${received}`)));
  });
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.write(bytes);
  if (waitForClose) {
    const timer = setTimeout(() => socket.destroy(), ms);
    await closed;
    clearTimeout(timer);
  } else {
    socket.end();
    socket.destroy();
  }
  return received;
}

/** The first non-null result of `attempt`, tried every half second for at most `ms`. */
async function eventually<T>(attempt: () => Promise<T | null>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    if (Date.now() > deadline) throw new Error(`no success within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.skipIf(!requireRoot('miniftp hostile logins'))('miniftp under hostile logins', () => {
  let user: TestUser;

  beforeAll(() => {
    user = createUser('mfh', 'hostile-secret');
  });

  afterAll(() => {
    user?.remove();
  });

  describe('a slow password check', () => {
    let server: RunningMiniftp;
    let userDbDir: string;

    // A server of its own: with a user_db, every unknown name costs what its
    // entries' hashes cost (no user enumeration by timing), here seconds.
    beforeAll(async () => {
      userDbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-slow-'));
      const userDb = path.join(userDbDir, 'users');
      fs.writeFileSync(userDb, `slow:${SLOW_HASH}:${user.name}:${user.home}\n`);
      server = await startMiniftp({ delay_failed_login: DELAY_SECONDS, user_db: userDb });
    });

    afterAll(async () => {
      await server?.stop();
      fs.rmSync(userDbDir, { recursive: true, force: true });
    });

    it('does not hold back another client\'s login', async () => {
      const slow = await RawClient.connect(server.port);
      await slow.replies(1);
      slow.send('USER slow\r\nPASS wrong\r\n');
      const slowReplies = slow.replies(2, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const victim = await rawLogin(server.port, user.name, 'hostile-secret');
      const victimDone = Date.now();
      const [, failure] = await slowReplies;
      // Before, the victim's login waited for the slow check and its delay.
      expect(failure?.code).toBe(530);
      expect(Date.now() - victimDone).toBeGreaterThan(1000);
      victim.destroy();
      slow.destroy();
    });
  });

  describe('password checks from one address', () => {
    let server: RunningMiniftp;
    let userDbDir: string;
    // About a third of a second per check here.
    const costlyHash = `$6$rounds=500000$abcdefgh$${'x'.repeat(86)}`;

    beforeAll(async () => {
      userDbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-turns-'));
      const userDb = path.join(userDbDir, 'users');
      fs.writeFileSync(userDb, `costly:${costlyHash}:${user.name}:${user.home}\n`);
      // Dual stack: the attacker comes from 127.0.0.1, the other client from ::1.
      server = await startMiniftp({ delay_failed_login: 0, user_db: userDb, listen_address: '::', listen_ipv6: 'YES', max_per_ip: 0 });
    });

    afterAll(async () => {
      await server?.stop();
      fs.rmSync(userDbDir, { recursive: true, force: true });
    });

    it('wait behind each other: a login from another address gets the next free thread', async () => {
      const attackers = await Promise.all(Array.from({ length: 16 }, () => RawClient.connect(server.port, '127.0.0.1')));
      await Promise.all(attackers.map((a) => a.replies(1)));
      const answered: number[] = [];
      const failures = attackers.map(async (attacker, i) => {
        attacker.send('USER costly\r\nPASS wrong\r\n');
        const replies = await attacker.replies(2, 60_000);
        answered.push(i);
        return replies[1]?.code;
      });
      // Every attacker's check is queued or running before the other client asks.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const victim = await RawClient.connect(server.port, '::1');
      await victim.replies(1);
      victim.send(`USER ${user.name}\r\nPASS hostile-secret\r\n`);
      const replies = await victim.replies(2, 60_000);
      const attackersDoneBefore = answered.length;
      expect(replies.map((r) => r.code)).toEqual([331, 230]);
      expect(await Promise.all(failures)).toEqual(Array(16).fill(530));
      // In turns, the other address got the thread that the first finished
      // check freed: most of the 16 (4 at a time) were still to come. In one
      // line, it would have come after 12 of them had finished.
      expect(attackersDoneBefore).toBeLessThanOrEqual(8);
      victim.destroy();
      for (const attacker of attackers) attacker.destroy();
    });
  });

  describe('failed logins', () => {
    let server: RunningMiniftp;

    beforeAll(async () => {
      server = await startMiniftp({ delay_failed_login: DELAY_SECONDS, max_per_ip: 200 });
    });

    afterAll(async () => {
      await server?.stop();
    });

    it(`${ATTACKERS} failed logins of closed connections do not hold back another client's login`, async () => {
      // Before the fix each failed login held every other login for the delay: 3 minutes here.
      // The bound is wide: the attackers' password checks still take their CPU time.
      const attacks = Array.from({ length: ATTACKERS }, (_, i) => sendAndLeave(server.port, `USER nobody-${i}\r\nPASS wrong\r\n`, false));
      await Promise.all(attacks);
      const victim = await RawClient.connect(server.port);
      await victim.replies(1, 30_000);
      const started = Date.now();
      victim.send(`USER ${user.name}\r\nPASS hostile-secret\r\n`);
      const replies = await victim.replies(2, 30_000);
      const elapsed = Date.now() - started;
      expect(replies.map((r) => r.code)).toEqual([331, 230]);
      expect((await victim.command('PWD')).code).toBe(257);
      victim.destroy();
      expect(elapsed).toBeLessThan(30_000);
    });

    it('a failed login still gets its 530 only after delay_failed_login', async () => {
      const client = await RawClient.connect(server.port);
      await client.replies(1);
      expect((await client.command(`USER ${user.name}`)).code).toBe(331);
      const started = Date.now();
      expect((await client.command('PASS wrong')).code).toBe(530);
      expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_SECONDS * 1000 - 100);
      // Another client meanwhile is not held back by it.
      const other = await RawClient.connect(server.port);
      await other.replies(1);
      other.send(`USER ${user.name}\r\nPASS wrong\r\nUSER ${user.name}\r\nPASS hostile-secret\r\n`);
      const replies = await other.replies(4, 20_000);
      expect(replies.map((r) => r.code)).toEqual([331, 530, 331, 230]);
      other.destroy();
      client.destroy();
    });
  });

  describe('too much input before the hand-over', () => {
    const LIMIT = 20;
    let server: RunningMiniftp;

    beforeAll(async () => {
      server = await startMiniftp({ max_per_ip: LIMIT, max_clients: LIMIT });
    });

    afterAll(async () => {
      await server?.stop();
    });

    it(`${LIMIT} logins followed by 300 KB each are closed and give their slots back`, async () => {
      const flood = Buffer.concat([Buffer.from(`USER ${user.name}\r\nPASS hostile-secret\r\n`), Buffer.alloc(300 * 1024, 'NOOP\r\n')]);
      const answers = await Promise.all(Array.from({ length: LIMIT }, () => sendAndLeave(server.port, flood, true)));
      for (const answer of answers) expect(answer).not.toMatch(/^230/m);
      // Every slot comes back (the server closes each within a few seconds):
      // LIMIT clients at once get the banner, not 421, and then a login works.
      const codes = await eventually(async () => {
        const clients = await Promise.all(Array.from({ length: LIMIT }, () => RawClient.connect(server.port)));
        const banners = await Promise.all(clients.map(async (c) => (await c.replies(1))[0]?.code));
        for (const c of clients) c.destroy();
        return banners.every((code) => code === 220) ? banners : null;
      }, 30_000);
      expect(codes).toHaveLength(LIMIT);
      const client = await eventually(() => rawLogin(server.port, user.name, 'hostile-secret').catch(() => null), 10_000);
      expect((await client.command('PWD')).code).toBe(257);
      client.destroy();
    });
  });
});
