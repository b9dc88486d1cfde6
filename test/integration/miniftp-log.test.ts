// miniftp's log against hostile names: user names and paths with terminal
// escapes and every kind of line break a reader might honour, sent by real
// clients, each stay inside one escaped log line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, ftplibSteps } from '../helpers/ftp-clients.js';
import { createUser, startMiniftp, type RunningMiniftp, type TestUser } from '../helpers/miniftp-server.js';
import { waitFor } from '../helpers/process.js';
import { requireRoot } from '../helpers/root.js';

// Each name, and how it must look in the text log (where, besides, [ and ]
// are escaped inside a user name's brackets and " inside a path's quotes).
const HOSTILE: Array<[string, string]> = [
  ['esc\x1b[2J\x1b[31mred', 'esc\\x1b[2J\\x1b[31mred'],
  ['ls\u2028Sun, 06 Dec 2026 10:00:00 GMT [pid 1] [root] OK LOGIN: Client "10.0.0.1"', 'ls\\u2028Sun, 06 Dec 2026 10:00:00 GMT [pid 1] [root] OK LOGIN: Client "10.0.0.1"'],
  ['quote"x', 'quote"x'],
  ['ps\u2029x', 'ps\\u2029x'],
  ['nel\u0085x', 'nel\\x85x'],
  ['vt\x0bx', 'vt\\x0bx'],
  ['ff\x0cx', 'ff\\x0cx'],
  ['csi\u009b31mx', 'csi\\x9b31mx'],
  ['del\x7fx', 'del\\x7fx'],
  ['rlo\u202ex', 'rlo\\u202ex'],
  ['back\\slash', 'back\\\\slash'],
];
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]/;
const LINE = /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} \[pid \d+\]( \[[^\]]*\])? (CONNECT|OK LOGIN|FAIL LOGIN|OK MKDIR|OK UPLOAD|DISCONNECT): Client "127\.0\.0\.1"/;

describe.skipIf(!requireRoot('miniftp log escaping'))('miniftp log escaping', () => {
  let server: RunningMiniftp;
  let jsonServer: RunningMiniftp;
  let fay: TestUser;
  let upload: string;
  const password = 'fay-secret';

  beforeAll(async () => {
    fay = createUser('mfl', password);
    upload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-log-')), 'up.txt');
    fs.writeFileSync(upload, 'uploaded\n');
    server = await startMiniftp({ write_enable: 'YES', chroot_local_user: 'YES', max_login_fails: 50 });
    jsonServer = await startMiniftp({ write_enable: 'YES', chroot_local_user: 'YES', max_login_fails: 50, log_json: 'YES' });
  });

  afterAll(async () => {
    await server?.stop();
    await jsonServer?.stop();
    fay?.remove();
    fs.rmSync(path.dirname(upload), { recursive: true, force: true });
  });

  const logLines = (of: RunningMiniftp): string[] => fs.readFileSync(of.logFile, 'utf8').split('\n').slice(0, -1);

  // Real clients log in, make directories and upload files under every
  // hostile name (directory and file names start with `tag`); resolves to the
  // log's lines, once it holds exactly as many as these sessions make.
  async function hostileSessions(of: RunningMiniftp, tag: string): Promise<string[]> {
    // One session of failed logins: CONNECT, one FAIL LOGIN each, DISCONNECT.
    const failed = await ftplibSteps(of.port, {
      user: null,
      steps: [...HOSTILE.map(([name]) => ({ op: 'login', user: name, password: 'wrong' })), { op: 'quit' }],
    });
    expect(failed.slice(1, -1).map((r) => r.error?.slice(0, 3))).toEqual(HOSTILE.map(() => '530'));
    // One session that makes a directory and uploads a file under each name:
    // CONNECT, OK LOGIN, one OK MKDIR and one OK UPLOAD each, DISCONNECT.
    const made = await ftplibSteps(of.port, {
      user: fay.name, password,
      steps: [
        ...HOSTILE.flatMap(([name]) => [{ op: 'cmd', line: `MKD ${tag}d-${name}` }, { op: 'stor', path: `${tag}f-${name}`, src: upload }]),
        { op: 'quit' },
      ],
    });
    expect(made.filter((r) => r.error)).toEqual([]);
    // A lone CR inside a command is refused before anything is logged: CONNECT, DISCONNECT.
    const raw = await RawClient.connect(of.port);
    await raw.replies(1);
    expect((await raw.command('USER lone\rcr')).code).toBe(500);
    await raw.command('QUIT');
    raw.destroy();

    const expected = (2 + HOSTILE.length) + (3 + 2 * HOSTILE.length) + 2;
    await waitFor(() => logLines(of).length >= expected, 10_000, `${expected} log lines`);
    await new Promise((r) => setTimeout(r, 300));
    const lines = logLines(of);
    expect(lines).toHaveLength(expected);
    return lines;
  }

  it('text log: user names and paths with controls and line-break lookalikes stay in one escaped line each', async () => {
    const lines = await hostileSessions(server, '');
    for (const line of lines) {
      expect(line).toMatch(LINE);
      expect(line).not.toMatch(UNSAFE);
    }
    for (const [name, escaped] of HOSTILE) {
      const inBrackets = escaped.replaceAll('[', '\\x5b').replaceAll(']', '\\x5d');
      const inQuotes = escaped.replaceAll('"', '\\x22');
      expect(lines.filter((l) => l.includes(`[${inBrackets}] FAIL LOGIN: Client "127.0.0.1"`)), name).toHaveLength(1);
      expect(lines.filter((l) => l.endsWith(`OK MKDIR: Client "127.0.0.1", "/d-${inQuotes}"`)), name).toHaveLength(1);
      expect(lines.filter((l) => l.includes(`OK UPLOAD: Client "127.0.0.1", "/f-${inQuotes}", 9 bytes`)), name).toHaveLength(1);
    }
  });

  it('JSON log: one object per line, every hostile name escaped and read back exactly', async () => {
    const lines = await hostileSessions(jsonServer, 'j');
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
    const events = lines.map((line) => JSON.parse(line) as { type: string; ok?: boolean; user: string | null; path?: string; action?: string });
    for (const [name] of HOSTILE) {
      expect(events.filter((e) => e.type === 'login' && e.ok === false && e.user === name), name).toHaveLength(1);
      expect(events.filter((e) => e.type === 'action' && e.action === 'mkdir' && e.path === `/jd-${name}`), name).toHaveLength(1);
      expect(events.filter((e) => e.type === 'transfer' && e.path === `/jf-${name}`), name).toHaveLength(1);
    }
  });
});
