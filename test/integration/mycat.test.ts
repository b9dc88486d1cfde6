// The mycat / openfile demonstration, for real: a temporary group and an
// unprivileged user, a file only that group may read, openfile installed
// setgid to the group in a temporary directory, and mycat run as the user.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channel, socketPair, spawnWithCredentials } from 'privsep';
import { isRoot } from '../helpers/process.js';
import { addGroup, addUser, removeCreated, uniqueName } from '../helpers/users.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mycat = path.join(root, 'dist', 'examples', 'mycat', 'mycat.js');
const built = path.join(root, 'build', 'Release', 'openfile');

if (!isRoot) console.log('mycat.test: skipped: installing a setgid helper and creating users needs root');

describe.skipIf(!isRoot)('mycat and openfile (root)', () => {
  const group = uniqueName('psmg');
  const user = uniqueName('psmu');
  const content = `the secret of ${process.pid}\n`.repeat(1000);
  let dir = '';
  let helper = '';
  let secret = '';
  let uid = 0;

  beforeAll(() => {
    const gid = addGroup(group);
    uid = addUser(user);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'privsep-mycat-'));
    fs.chmodSync(dir, 0o755);
    secret = path.join(dir, 'secret.txt');
    fs.writeFileSync(secret, content);
    fs.chownSync(secret, 0, gid);
    fs.chmodSync(secret, 0o640);
    // The documented install: owned by root, group of the readers, setgid
    // (chmod after chown, which clears the setgid bit).
    helper = path.join(dir, 'openfile');
    fs.copyFileSync(built, helper);
    fs.chownSync(helper, 0, gid);
    fs.chmodSync(helper, 0o2755);
  });
  afterAll(() => {
    removeCreated();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function asUser(args: string[]): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, args, { uid, gid: 65534, encoding: 'utf8', timeout: 30_000, cwd: '/' });
  }

  it('the user cannot read the file directly', () => {
    const plain = asUser(['-e', `try { require('fs').readFileSync(${JSON.stringify(secret)}); console.log('read') } catch (e) { console.log(e.code) }`]);
    expect(plain.stdout).toBe('EACCES\n');
  });

  it('mycat prints it through openfile; the helper has exited before mycat reads', () => {
    const result = asUser([mycat, '-v', '--helper', helper, secret]);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(content);
    const lines = result.stderr.trim().split('\n');
    const exited = lines.findIndex((l) => /openfile \(pid \d+\) exited with code 0/.test(l));
    const reading = lines.findIndex((l) => /reading fd \d+/.test(l));
    expect(exited).toBeGreaterThanOrEqual(0);
    expect(reading).toBeGreaterThan(exited);
    // The same open file, in two fd tables, under two numbers.
    const [, theirs, ours] = /sent its fd (\d+); it arrived here as fd (\d+)/.exec(result.stderr)!;
    expect(Number(theirs)).toBeGreaterThanOrEqual(3);
    expect(Number(ours)).not.toBe(Number(theirs));
  });

  it('the privilege is the setgid bit: a plain copy of the helper cannot open the file', () => {
    const plainHelper = path.join(dir, 'openfile-plain');
    fs.copyFileSync(built, plainHelper);
    fs.chmodSync(plainHelper, 0o755);
    const result = asUser([mycat, '--helper', plainHelper, secret]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('openfile refuses what is not a regular file, symlinks, and files its group may not read', () => {
    const fifo = path.join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const link = path.join(dir, 'link');
    fs.symlinkSync(secret, link);
    const rootOnly = path.join(dir, 'root-only');
    fs.writeFileSync(rootOnly, 'x', { mode: 0o600 });
    const cases: Array<[string, RegExp]> = [
      [dir, /not a regular file/],
      [fifo, /not a regular file/],
      [link, /symbolic link/],
      [rootOnly, /Permission denied/],
      [path.join(dir, 'missing'), /No such file/],
    ];
    for (const [file, reason] of cases) {
      const result = asUser([mycat, '--helper', helper, file]);
      expect(result.status, file).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(reason);
    }
  });

  it('mycat reports a missing helper and bad usage', () => {
    const missing = asUser([mycat, '--helper', path.join(dir, 'nope'), secret]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot start the helper .*ENOENT/);
    const usage = asUser([mycat]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/usage: mycat/);
  });

  it('openfile refuses a bad command line with its usage', () => {
    for (const args of [[], ['1', secret], ['3', secret], ['x', secret], ['3', secret, 'rwx']]) {
      const result = spawnSync(helper, args, { uid, gid: 65534, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/usage: openfile/);
    }
  });

  it('openfile answers in Channel framing, and opens for writing only when told', async () => {
    const target = path.join(dir, 'writable.txt');
    fs.writeFileSync(target, 'before');
    for (const [mode, write] of [['r', false], ['w', true]] as const) {
      const [mine, theirs] = socketPair();
      const child = spawnWithCredentials(helper, ['3', target, mode], { fds: { 3: theirs }, noNewPrivs: false });
      theirs.close();
      const channel = Channel.fromFd(mine);
      const message = await channel.receive();
      channel.close();
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(message.data.toString()).toMatch(/^ok \d+$/);
      expect(message.fds).toHaveLength(1);
      const fd = message.fds[0]!.release();
      try {
        if (write) {
          fs.writeSync(fd, 'after!');
          expect(fs.readFileSync(target, 'utf8')).toBe('after!');
        } else {
          expect(() => fs.writeSync(fd, 'x')).toThrow(expect.objectContaining({ code: 'EBADF' }));
          expect(fs.readFileSync(target, 'utf8')).toBe('before');
        }
      } finally {
        fs.closeSync(fd);
      }
    }
  });
});
