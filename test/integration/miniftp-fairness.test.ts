// One anonymous session must not hold up the others of the shared anonymous
// worker: neither with the costliest listing it can ask for (a big
// directory, the worst pattern) nor with a data connection it never reads.
// Real server, real sockets; the bounds are wide (seconds), the attacks
// would hold the worker for minutes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, passiveData, rawLogin } from '../helpers/ftp-clients.js';
import { startMiniftp, type RunningMiniftp } from '../helpers/miniftp-server.js';
import { requireRoot } from '../helpers/root.js';

const FILES = 30_000;
// A victim's reply may take this long while another session attacks; the
// attacks below took minutes before listings were bounded.
const REPLY_BOUND_MS = 3000;

/** Sends NOOP and PWD in turn until `stop` resolves; resolves to the slowest reply time (ms). */
async function slowestReply(victim: RawClient, stop: Promise<unknown>): Promise<number> {
  let done = false;
  void stop.finally(() => (done = true));
  let slowest = 0;
  for (let i = 0; i < 2000 && !done; i++) {
    const started = Date.now();
    const reply = await victim.command(i % 2 === 0 ? 'NOOP' : 'PWD').catch(() => null);
    const took = Date.now() - started;
    // A reply that does not come in time counts as the bound missed.
    if (!reply) return Number.POSITIVE_INFINITY;
    expect([200, 257]).toContain(reply.code);
    slowest = Math.max(slowest, took);
    await new Promise((r) => setTimeout(r, 20));
  }
  return slowest;
}

// RawClient.command with a deadline (its own waits 10 s).
async function commandWithin(client: RawClient, line: string, ms: number): Promise<{ code: number; text: string } | null> {
  client.send(`${line}\r\n`);
  const [reply] = await client.replies(1, ms).catch(() => [undefined]);
  return reply ?? null;
}

describe.skipIf(!requireRoot('miniftp fairness'))('miniftp: one session cannot stall the others of its worker', () => {
  let server: RunningMiniftp;
  let anonRoot: string;
  const opened: RawClient[] = [];

  beforeAll(async () => {
    anonRoot = fs.mkdtempSync('/tmp/miniftp-fair-');
    fs.chmodSync(anonRoot, 0o755);
    const big = path.join(anonRoot, 'big');
    fs.mkdirSync(big);
    // Long names of one repeated letter: the worst case for a pattern of many stars.
    const stem = 'a'.repeat(120);
    for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(big, `${stem}${i}`), '');
    fs.writeFileSync(path.join(anonRoot, 'large.bin'), crypto.randomBytes(32 << 20));
    server = await startMiniftp({ anonymous_enable: 'YES', anon_root: anonRoot, max_per_ip: 100 });
  }, 120_000);

  afterAll(async () => {
    for (const client of opened) client.destroy();
    await server?.stop();
    fs.rmSync(anonRoot, { recursive: true, force: true });
  });

  async function anonymous(): Promise<RawClient> {
    const client = await rawLogin(server.port, 'anonymous', 'guest@');
    opened.push(client);
    return client;
  }

  it('the costliest STAT, NLST and LIST of one session leave the others answered', async () => {
    const attacker = await anonymous();
    const victim = await anonymous();
    expect((await victim.command('NOOP')).code).toBe(200);

    const attacks = (async () => {
      const replies: Array<{ code: number; text: string } | null> = [];
      // Each took the worker minutes with a backtracking regular expression.
      replies.push(await commandWithin(attacker, 'STAT big/***********#', 60_000));
      replies.push(await commandWithin(attacker, `STAT big/*${'a'.repeat(150)}#`, 60_000));
      // Over the data connection: two patterns, the whole directory, and a pattern every name matches.
      for (const line of [`NLST big/*${'a'.repeat(150)}#`, 'LIST big/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*#', 'LIST big', 'LIST big/*']) {
        const data = await passiveData(attacker);
        data.resume();
        const reply = await commandWithin(attacker, line, 60_000);
        replies.push(reply);
        // A listing that started has its final reply next.
        if (reply?.code === 150) replies.push((await attacker.replies(1, 60_000).catch(() => []))[0] ?? null);
        data.destroy();
      }
      return replies;
    })();
    attacks.catch(() => {});

    const slowest = await slowestReply(victim, attacks);
    expect(slowest).toBeLessThan(REPLY_BOUND_MS);
    const replies = await attacks;
    // The attacker got clear answers too: a status, a refusal naming the limit, or a listing.
    expect(replies.every((r) => r !== null), JSON.stringify(replies)).toBe(true);
    const codes = replies.map((r) => r!.code);
    expect(codes[0]).toBe(213);
    expect(codes[1]).toBe(550);
    expect(replies[1]!.text).toMatch(/too complex/);
    expect(codes.slice(2)).toEqual([550, 150, 226, 150, 226, 150, 226]);
  }, 180_000);

  it('a data connection that is never read holds up no other session', async () => {
    const stalled = await anonymous();
    const victim = await anonymous();
    const listing = await passiveData(stalled);
    listing.pause();
    expect((await stalled.command('LIST big')).code).toBe(150);
    const other = await anonymous();
    const download = await passiveData(other);
    download.pause();
    expect((await other.command('RETR large.bin')).code).toBe(150);
    // Both transfers are stuck on full socket buffers now; the victim goes on.
    const slowest = await slowestReply(victim, new Promise((r) => setTimeout(r, 3000)));
    expect(slowest).toBeLessThan(REPLY_BOUND_MS);
    // And a new session of the same worker logs in and lists.
    const late = await anonymous();
    const data = await passiveData(late);
    const chunks: Buffer[] = [];
    data.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => data.once('close', r));
    expect((await late.command('LIST')).code).toBe(150);
    expect((await late.replies(1, REPLY_BOUND_MS))[0]?.code).toBe(226);
    await ended;
    expect(Buffer.concat(chunks).toString()).toContain('large.bin');
    listing.destroy();
    download.destroy();
  }, 60_000);
});
