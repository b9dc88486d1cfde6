// Temporary users and groups for root-only tests (useradd/groupadd, removed
// in afterAll even when a test failed), and running node fixtures as
// another user.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';

const created: Array<{ kind: 'user' | 'group'; name: string }> = [];
let counter = 0;

/** A name no other test run uses: prefix, pid, counter (well under 32 chars). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}`;
}

// useradd and friends take a lock on /etc/passwd and fail at once when
// another test file holds it: retry a bounded number of times.
function run(cmd: string, args: string[], input?: string): string {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    const result = spawnSync(cmd, args, { input, encoding: 'utf8' });
    if (result.status === 0) return result.stdout;
    lastError = new Error(`${cmd} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    if (!/lock|try again/i.test(result.stderr)) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  throw lastError;
}

function idOf(database: 'passwd' | 'group', name: string): number {
  return Number(execFileSync('getent', [database, name], { encoding: 'utf8' }).split(':')[2]);
}

function isRootAlias(name: string): boolean {
  try {
    return name !== 'root' && idOf('passwd', name) === 0;
  } catch {
    return false;
  }
}

/** Creates a group; returns its gid. */
export function addGroup(name: string): number {
  run('groupadd', [name]);
  created.push({ kind: 'group', name });
  return idOf('group', name);
}

/**
 * Creates a user without a home directory made for it, with no login shell
 * unless `shell` names one (PAM's pam_shells wants a listed shell for FTP
 * logins); returns its uid. `uid` may repeat an existing uid (useradd -o),
 * as 0 for an alias of root.
 */
export function addUser(name: string, options: { gid?: number; groups?: string[]; shell?: string; home?: string; uid?: number } = {}): number {
  const args = ['-M', '-N', '-s', options.shell ?? '/usr/sbin/nologin', '-g', String(options.gid ?? 65534)];
  if (options.home !== undefined) args.push('-d', options.home);
  if (options.groups && options.groups.length > 0) args.push('-G', options.groups.join(','));
  if (options.uid !== undefined) args.push('-o', '-u', String(options.uid));
  run('useradd', [...args, name]);
  created.push({ kind: 'user', name });
  return idOf('passwd', name);
}

/** Sets a password with chpasswd and the given crypt method (YESCRYPT, SHA512, ...). */
export function setPassword(name: string, password: string, method: string): void {
  run('chpasswd', ['-c', method], `${name}:${password}\n`);
}

/** The hash field of a user's shadow entry. */
export function shadowHash(name: string): string {
  return execFileSync('getent', ['shadow', name], { encoding: 'utf8' }).split(':')[1]!;
}

/** The hash fields of every shadow entry. */
export function shadowHashes(): string[] {
  return execFileSync('getent', ['shadow'], { encoding: 'utf8' }).split('\n').map((line) => line.split(':')[1] ?? '');
}

/** Runs a command as root (usermod -L, passwd -d, ...). */
export function admin(cmd: string, ...args: string[]): void {
  run(cmd, args);
}

/**
 * Removes every user and group created here (users first). An alias of
 * root (made so, or by usermod -o -u 0 since) needs userdel -f: uid 0
 * always has processes, which userdel would otherwise refuse for.
 */
export function removeCreated(): void {
  for (const entry of created.splice(0).reverse()) {
    try {
      if (entry.kind === 'group') run('groupdel', [entry.name]);
      else run('userdel', isRootAlias(entry.name) ? ['-f', entry.name] : [entry.name]);
    } catch {
      // already gone
    }
  }
}

/** A SHA-512 crypt hash of `password` with a random salt, by the system's crypt(3) through the addon. */
export async function sha512Crypt(password: string): Promise<string> {
  const { native } = await import('../../src/native.js');
  const salt = crypto.randomBytes(12).toString('base64').replace(/[^A-Za-z0-9]/g, '.').slice(0, 16);
  const hash = await native.crypt(password, `$6$${salt}$`);
  if (hash === null) throw new Error('crypt(3) refused a $6$ setting');
  return hash;
}

const FTPUSERS = '/etc/ftpusers';

/** Adds `name` to /etc/ftpusers; the returned function puts the file back exactly as it was (or removes it). */
export function listInFtpusers(name: string): () => void {
  const original = fs.existsSync(FTPUSERS) ? fs.readFileSync(FTPUSERS) : null;
  const separator = original !== null && original.length > 0 && original[original.length - 1] !== 0x0a ? '\n' : '';
  fs.appendFileSync(FTPUSERS, `${separator}${name}\n`);
  return () => {
    if (original === null) fs.rmSync(FTPUSERS, { force: true });
    else fs.writeFileSync(FTPUSERS, original);
  };
}
