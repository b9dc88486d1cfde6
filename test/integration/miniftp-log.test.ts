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
const LINE = /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT \[pid \d+\]( \[[^\]]*\])? (CONNECT|OK LOGIN|FAIL LOGIN|OK MKDIR|OK UPLOAD|DISCONNECT): Client "127\.0\.0\.1"/;

describe.skipIf(!requireRoot('miniftp log escaping'))('miniftp log escaping', () => {
  let server: RunningMiniftp;
  let fay: TestUser;
  let upload: string;
  const password = 'fay-secret';

  beforeAll(async () => {
    fay = createUser('mfl', password);
    upload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'miniftp-log-')), 'up.txt');
    fs.writeFileSync(upload, 'uploaded\n');
    server = await startMiniftp({ write_enable: 'YES', chroot_local_user: 'YES', max_login_fails: 50 });
  });

  afterAll(async () => {
    await server?.stop();
    fay?.remove();
    fs.rmSync(path.dirname(upload), { recursive: true, force: true });
  });

  const logLines = (): string[] => fs.readFileSync(server.logFile, 'utf8').split('\n').slice(0, -1);

  it('user names and paths with controls and line-break lookalikes stay in one escaped line each', async () => {
    // One session of failed logins: CONNECT, one FAIL LOGIN each, DISCONNECT.
    const failed = await ftplibSteps(server.port, {
      user: null,
      steps: [...HOSTILE.map(([name]) => ({ op: 'login', user: name, password: 'wrong' })), { op: 'quit' }],
    });
    expect(failed.slice(1, -1).map((r) => r.error?.slice(0, 3))).toEqual(HOSTILE.map(() => '530'));
    // One session that makes a directory and uploads a file under each name:
    // CONNECT, OK LOGIN, one OK MKDIR and one OK UPLOAD each, DISCONNECT.
    const made = await ftplibSteps(server.port, {
      user: fay.name, password,
      steps: [
        ...HOSTILE.flatMap(([name]) => [{ op: 'cmd', line: `MKD d-${name}` }, { op: 'stor', path: `f-${name}`, src: upload }]),
        { op: 'quit' },
      ],
    });
    expect(made.filter((r) => r.error)).toEqual([]);
    // A lone CR inside a command is refused before anything is logged: CONNECT, DISCONNECT.
    const raw = await RawClient.connect(server.port);
    await raw.replies(1);
    expect((await raw.command('USER lone\rcr')).code).toBe(500);
    await raw.command('QUIT');
    raw.destroy();

    const expected = (2 + HOSTILE.length) + (3 + 2 * HOSTILE.length) + 2;
    await waitFor(() => logLines().length >= expected, 10_000, `${expected} log lines`);
    await new Promise((r) => setTimeout(r, 300));
    const lines = logLines();
    expect(lines).toHaveLength(expected);
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
});
