// LIST -R (ls_recurse_enable) in the engine with small bounds: ls -lR
// sections depth first, links not followed, and a walk cut by the entry or
// depth bound says so in its 226; without the setting -R is ignored.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { passiveData, rawLogin } from '../../helpers/ftp-clients.js';

async function list(port: number, arg: string): Promise<{ text: string; done: string }> {
  const client = await rawLogin(port);
  const data = await passiveData(client);
  const chunks: Buffer[] = [];
  data.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise((r) => data.once('close', r));
  expect((await client.command(`LIST ${arg}`)).code).toBe(150);
  const [done] = await client.replies(1);
  await closed;
  client.destroy();
  return { text: Buffer.concat(chunks).toString(), done: `${done!.code} ${done!.text}` };
}

const headers = (text: string): string[] => text.split('\r\n').filter((line) => line.endsWith(':'));

describe('engine LIST -R', () => {
  let on: Harness;
  let off: Harness;

  function tree(h: Harness): void {
    for (const dir of ['top/a/deep/deeper/deepest', 'top/b', 'wide']) fs.mkdirSync(h.file('alice', dir), { recursive: true });
    fs.writeFileSync(h.file('alice', 'top/file.txt'), 'x');
    fs.writeFileSync(h.file('alice', 'top/a/deep/deeper/deepest/leaf.txt'), 'x');
    fs.symlinkSync('..', h.file('alice', 'top/b/loop'));
    for (let i = 0; i < 30; i++) fs.writeFileSync(h.file('alice', `wide/f${i}`), '');
    fs.mkdirSync(h.file('alice', 'wide/sub'));
    for (let i = 0; i < 30; i++) fs.writeFileSync(h.file('alice', `wide/sub/g${i}`), '');
  }

  beforeAll(async () => {
    on = await startHarness({ options: { lsRecurseEnable: true, maxRecursiveEntries: 40, maxRecursiveDepth: 3 } });
    off = await startHarness({ options: { lsRecurseEnable: false } });
    tree(on);
    tree(off);
  });

  afterAll(async () => {
    await on?.stop();
    await off?.stop();
  });

  it('lists each directory as ls -lR does, depth first, without following a link', async () => {
    const { text, done } = await list(on.port, '-R top/a/deep');
    expect(headers(text)).toEqual(['top/a/deep:', 'top/a/deep/deeper:', 'top/a/deep/deeper/deepest:']);
    expect(text).toMatch(/leaf\.txt\r\n$/);
    expect(done).toBe('226 Directory send OK.');
    const loop = await list(on.port, '-R top/b');
    expect(headers(loop.text)).toEqual(['top/b:']);
    expect(loop.text).toMatch(/^l.* loop -> \.\.\r\n/m);
  });

  it('a tree deeper than the bound is cut, and the 226 says so', async () => {
    const { text, done } = await list(on.port, '-lR top');
    expect(headers(text)).toEqual(['top:', 'top/a:', 'top/a/deep:', 'top/a/deep/deeper:', 'top/b:']);
    expect(done).toBe('226 Directory send OK, but the listing was cut at 3 levels of subdirectories; list a subdirectory.');
  });

  it('more entries than the bound: the listing stops before the directory that would pass it, and the 226 says so', async () => {
    const { text, done } = await list(on.port, '-R wide');
    expect(headers(text)).toEqual(['wide:']);
    expect(text.split('\r\n').filter((line) => / f\d+$/.test(line))).toHaveLength(30);
    expect(done).toBe('226 Directory send OK, but the listing was cut at 40 entries; list a subdirectory.');
  });

  it('without ls_recurse_enable, -R is ignored: the directory alone, no headers', async () => {
    const { text, done } = await list(off.port, '-R top');
    expect(headers(text)).toEqual([]);
    expect(text).toMatch(/ a\r\n/);
    expect(text).not.toContain('deep');
    expect(done).toBe('226 Directory send OK.');
  });
});
