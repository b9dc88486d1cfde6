// Listing patterns as vsftpd reads them, and the limits: a listing too big
// or too costly for a worker that serves many sessions is refused before
// its data connection is used, with a reply naming the limit; the session
// goes on.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { passiveData, rawLogin } from '../../helpers/ftp-clients.js';
import { MAX_PATTERN_LENGTH } from '../../../examples/miniftp/session/glob.js';

describe('engine listing patterns and limits', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ options: { maxListingEntries: 50 } });
    fs.mkdirSync(h.file('alice', 'small'));
    fs.mkdirSync(h.file('alice', 'large'));
    for (let i = 0; i < 10; i++) fs.writeFileSync(h.file('alice', `small/f${i}.txt`), '');
    for (let i = 0; i < 51; i++) fs.writeFileSync(h.file('alice', `large/f${i}.txt`), '');
    for (const name of ['.hidden', '.profile', 'a.jpg', 'b.png', 'c.gif', '[x].txt']) fs.writeFileSync(h.file('alice', `small/${name}`), '');
  });

  it('NLST takes *, ? and {a,b}; [ is literal; a pattern starting with a dot shows dotfiles', async () => {
    const client = await rawLogin(h.port);
    const nlst = async (arg: string): Promise<string[]> => {
      const data = await passiveData(client);
      const chunks: Buffer[] = [];
      data.on('data', (c: Buffer) => chunks.push(c));
      const closed = new Promise((r) => data.once('close', r));
      expect((await client.command(`NLST ${arg}`)).code).toBe(150);
      expect((await client.replies(1))[0]?.code).toBe(226);
      await closed;
      return Buffer.concat(chunks).toString().split('\r\n').filter(Boolean);
    };
    expect(await nlst('small/*.{jpg,png}')).toEqual(['small/a.jpg', 'small/b.png']);
    expect(await nlst('small/f?.txt')).toHaveLength(10);
    expect(await nlst('small/[x]*')).toEqual(['small/[x].txt']);
    expect(await nlst('small/.*')).toEqual(['small/.hidden', 'small/.profile']);
    expect(await nlst('small/*e')).toEqual([]);
    client.destroy();
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
    expect(stat.text.split('\n').filter((line) => / f\d\.txt$/.test(line))).toHaveLength(10);
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
