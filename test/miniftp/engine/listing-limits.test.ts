// A listing too big or too costly for a worker that serves many sessions is
// refused before its data connection is used, with a reply naming the
// limit; the session goes on.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { passiveData, rawLogin } from '../../helpers/ftp-clients.js';
import { MAX_PATTERN_LENGTH } from '../../../examples/miniftp/session/glob.js';

describe('engine listing limits', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ options: { maxListingEntries: 50 } });
    fs.mkdirSync(h.file('alice', 'small'));
    fs.mkdirSync(h.file('alice', 'large'));
    for (let i = 0; i < 10; i++) fs.writeFileSync(h.file('alice', `small/f${i}.txt`), '');
    for (let i = 0; i < 51; i++) fs.writeFileSync(h.file('alice', `large/f${i}.txt`), '');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a directory over the entry limit is refused by LIST, NLST, MLSD and STAT', async () => {
    const client = await rawLogin(h.port);
    for (const verb of ['LIST', 'NLST', 'MLSD']) {
      const data = await passiveData(client);
      const reply = await client.command(`${verb} large`);
      expect(reply.code, verb).toBe(550);
      expect(reply.text, verb).toMatch(/more than 50 entries/);
      data.destroy();
    }
    expect((await client.command('STAT large/*.txt')).code).toBe(550);
    // Under the limit, and the session goes on.
    const stat = await client.command('STAT small/f?.txt');
    expect(stat.code).toBe(213);
    expect(stat.text.split('\n').filter((line) => line.includes('.txt'))).toHaveLength(10);
    client.destroy();
  });

  it('a pattern over the length limit is refused with a reply that says so', async () => {
    const client = await rawLogin(h.port);
    const data = await passiveData(client);
    const reply = await client.command(`NLST small/*${'x'.repeat(MAX_PATTERN_LENGTH)}`);
    expect(reply.code).toBe(550);
    expect(reply.text).toMatch(/Pattern too long/);
    data.destroy();
    expect((await client.command(`STAT small/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}*`)).text).toMatch(/alternatives/);
    expect((await client.command('NOOP')).code).toBe(200);
    client.destroy();
  });
});
