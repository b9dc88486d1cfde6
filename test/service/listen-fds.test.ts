// listenFds: the sockets systemd passes at fds 3, 4, ... with LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES, in a real child process that gets them as
// systemd gives them, and the parsing of bad values.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { listenFds } from '../../src/index.js';
import { native } from '../../src/native.js';
import { fixture } from '../helpers/process.js';

interface FixtureResult {
  listeners?: Array<{ name: string; fd: number; kind: string; cloexec: boolean }>;
  error?: { code: string; message: string };
  env: Record<string, string | null>;
  child: string[];
}

// Two TCP listeners the "service manager" (this test) made.
const passed = [native.inetListen('127.0.0.1', 0, 16, true), native.inetListen('127.0.0.1', 0, 16, true)];
afterAll(() => {
  for (const fd of passed) native.close(fd);
});

async function passTo(env: Record<string, string>, options: object = {}): Promise<FixtureResult> {
  const child = spawn(process.execPath, [fixture('listen-fds.mjs'), JSON.stringify({ env, options })], { stdio: ['ignore', 'pipe', 'inherit', ...passed] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  expect(code).toBe(0);
  return JSON.parse(out) as FixtureResult;
}

describe('listenFds in a socket-activated process', () => {
  it('returns each fd with its name, close-on-exec, and takes LISTEN_* out of the environment', async () => {
    const result = await passTo({ LISTEN_PID: 'self', LISTEN_FDS: '2', LISTEN_FDNAMES: 'http:https' });
    expect(result.listeners).toEqual([
      { name: 'http', fd: 3, kind: 'socket', cloexec: true },
      { name: 'https', fd: 4, kind: 'socket', cloexec: true },
    ]);
    expect(result.env).toEqual({ LISTEN_PID: null, LISTEN_FDS: null, LISTEN_FDNAMES: null });
    // A child started afterwards sees neither the variables nor the fds.
    expect(result.child).toEqual(['//']);
  });

  it('names fds "unknown" without LISTEN_FDNAMES', async () => {
    const result = await passTo({ LISTEN_PID: 'self', LISTEN_FDS: '1' });
    expect(result.listeners).toEqual([{ name: 'unknown', fd: 3, kind: 'socket', cloexec: true }]);
  });

  it('takes nothing meant for another process (LISTEN_PID is not ours)', async () => {
    const result = await passTo({ LISTEN_PID: '1', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a:b' });
    expect(result.listeners).toEqual([]);
    expect(result.env).toEqual({ LISTEN_PID: null, LISTEN_FDS: null, LISTEN_FDNAMES: null });
    expect(result.child).toEqual(['//']);
  });

  it('keeps the variables with unsetEnvironment: false', async () => {
    const result = await passTo({ LISTEN_PID: 'self', LISTEN_FDS: '2' }, { unsetEnvironment: false });
    expect(result.listeners!.map((l) => l.fd)).toEqual([3, 4]);
    expect(result.env.LISTEN_FDS).toBe('2');
    expect(result.child[0]).toMatch(/^\d+\/2\/$/);
  });

  it('refuses a count beyond the fds that are open, naming LISTEN_FDS', async () => {
    const result = await passTo({ LISTEN_PID: 'self', LISTEN_FDS: '40' });
    expect(result.error!.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(result.error!.message).toMatch(/process\.env\.LISTEN_FDS.*fd \d+, which is not open/);
  });
});

describe('listenFds parsing', () => {
  const ours = String(process.pid);
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a LISTEN_PID that is not a number', { LISTEN_PID: 'abc', LISTEN_FDS: '1' }, /'process\.env\.LISTEN_PID' must be a whole number.*Received 'abc'/],
    ['a LISTEN_FDS that is not a number', { LISTEN_PID: ours, LISTEN_FDS: 'two' }, /'process\.env\.LISTEN_FDS' must be a whole number from 0 to 4096\. Received 'two'/],
    ['a negative LISTEN_FDS', { LISTEN_PID: ours, LISTEN_FDS: '-1' }, /process\.env\.LISTEN_FDS/],
    ['too many fds', { LISTEN_PID: ours, LISTEN_FDS: '100000' }, /'process\.env\.LISTEN_FDS' must be a whole number from 0 to 4096\. Received '100000'/],
    ['fewer names than fds', { LISTEN_PID: ours, LISTEN_FDS: '2', LISTEN_FDNAMES: 'http' }, /'process\.env\.LISTEN_FDNAMES' must hold 2 colon-separated names/],
  ];
  for (const [what, env, message] of cases) {
    it(`refuses ${what}, and still takes the variables out`, () => {
      expect(() => listenFds({ env })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(message) }));
      expect(env).toEqual({});
    });
  }

  it('returns nothing without LISTEN_PID (not socket-activated)', () => {
    expect(listenFds({ env: { LISTEN_FDS: '1' } })).toEqual([]);
  });
});
