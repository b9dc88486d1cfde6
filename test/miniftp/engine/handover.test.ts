// The hand-over after login: the pre-login session detaches the connection
// with every unhandled byte, and a second FtpSession (the user's worker, in
// the harness) goes on from the carried state: a client that pipelines
// USER, PASS and more in one write loses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { startHarness, type Harness } from '../../helpers/ftp-harness.js';
import { RawClient } from '../../helpers/ftp-clients.js';

describe.each([true, false])('engine hand-over (to a second session: %s)', (handover) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ handover });
    fs.mkdirSync(h.file('alice', 'sub'));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('USER, PASS and PWD in one write all get their replies', async () => {
    const before = h.handovers;
    const client = await RawClient.connect(h.port);
    client.send('USER alice\r\nPASS secret\r\nPWD\r\n');
    const replies = await client.replies(4);
    expect(replies.map((r) => `${r.code} ${r.text}`)).toEqual([
      '220 (miniftp)', '331 Please specify the password.', '230 Login successful.', '257 "/" is the current directory',
    ]);
    expect(h.handovers - before).toBe(handover ? 1 : 0);
    client.destroy();
  });

  it('a line cut in two across the hand-over, and a client that closes right after QUIT', async () => {
    const client = await RawClient.connect(h.port);
    await client.replies(1);
    client.send('USER alice\r\nPASS secret\r\nTYPE A\r\nCWD sub\r\nPW');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.send('D\r\nSTAT\r\nQUIT\r\n');
    client.socket.end();
    const replies = await client.replies(7);
    expect(replies.map((r) => r.code)).toEqual([331, 230, 200, 250, 257, 211, 221]);
    expect(replies[4]!.text).toBe('"/sub" is the current directory');
    expect(replies[5]!.lines).toContain('     TYPE: ASCII');
    await client.closedByServer();
  });

  it('state set before login travels: OPTS MLST, the session id, the failed attempts', async () => {
    const client = await RawClient.connect(h.port);
    await client.replies(1);
    client.send('OPTS MLST type;size;\r\nUSER alice\r\nPASS wrong\r\nUSER alice\r\nPASS secret\r\nFEAT\r\n');
    const replies = await client.replies(6);
    expect(replies.map((r) => r.code)).toEqual([200, 331, 530, 331, 230, 211]);
    expect(replies[5]!.lines).toContain(' MLST type*;size*;modify;perm;unix.mode;unix.uid;unix.gid;unix.ownername;unix.groupname;');
    client.send('QUIT\r\n');
    await client.closedByServer();
    const ids = new Set(h.events.filter((e) => e.type === 'connect').map((e) => e.session));
    const login = h.events.filter((e) => e.type === 'login' && e.ok).at(-1);
    expect(ids.has(login!.session)).toBe(true);
  });

  it('a client that leaves during the login leaves nothing behind', async () => {
    const client = await RawClient.connect(h.port);
    await client.replies(1);
    client.send('USER alice\r\nPASS secret\r\n');
    client.socket.resetAndDestroy();
    await h.settled();
  });
});
