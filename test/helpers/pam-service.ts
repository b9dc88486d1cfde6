// A PAM service of a test's own under /etc/pam.d (a unique name, removed
// afterwards) as an FTP server's: pam_unix for auth, account and session
// (and a failure delay of 10 s that the server must not sleep),
// pam_listfile denying the names in a file the test writes, pam_shells, and
// pam_exec recording every session opened and closed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { scratchDir } from './scratch.js';
import { uniqueName } from './users.js';

/**
 * `command` (argv) run in a mount namespace of its own where libpam.so.0 is
 * /dev/null (found through ldconfig's cache, as dlopen finds it): what a
 * system without Linux-PAM's library looks like to it. Needs root.
 */
export function withoutLibpam(command: string[]): string[] {
  const found = /\blibpam\.so\.0 \([^)]*\) => (\S+)/.exec(execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }));
  if (!found) throw new Error('ldconfig -p lists no libpam.so.0');
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind /dev/null "$0" && exec "$@"', found[1]!, ...command];
}

export interface TestPamService {
  /** The service name (the file under /etc/pam.d). */
  readonly name: string;
  /** pam_listfile's deny list: one user name a line. */
  deny(...users: string[]): void;
  /** What pam_exec saw at each pam_open_session and pam_close_session: "open_session USER RHOST TTY RUSER", oldest first. */
  sessionEvents(): string[];
  /** Removes the service file and every file of it. */
  remove(): void;
}

/** Writes the service; `authLines` come before pam_unix's auth line (pam_exec scripts of a test, say). */
export function createPamService(prefix: string, authLines: string[] = []): TestPamService {
  const name = uniqueName(prefix);
  const dir = scratchDir(`pam-${name}-`);
  fs.chmodSync(dir.path, 0o755);
  const denyFile = path.join(dir.path, 'deny');
  const sessionLog = path.join(dir.path, 'sessions');
  const recorder = path.join(dir.path, 'record-session');
  fs.writeFileSync(denyFile, '');
  fs.writeFileSync(recorder, `#!/bin/sh\necho "$PAM_TYPE $PAM_USER $PAM_RHOST $PAM_TTY $PAM_RUSER" >> ${sessionLog}\n`, { mode: 0o755 });
  const file = `/etc/pam.d/${name}`;
  fs.writeFileSync(file, [
    `# written by a privsep test; removed when it ends`,
    ...authLines,
    // A failure delay far beyond any test's wait: the server delays, not PAM.
    'auth     optional pam_faildelay.so delay=10000000',
    'auth     required pam_unix.so',
    'account  required pam_unix.so',
    `account  required pam_listfile.so item=user sense=deny file=${denyFile} onerr=succeed`,
    'account  required pam_shells.so',
    'session  required pam_unix.so',
    `session  required pam_exec.so quiet ${recorder}`,
    '',
  ].join('\n'));
  return {
    name,
    deny: (...users) => fs.writeFileSync(denyFile, users.map((u) => `${u}\n`).join('')),
    sessionEvents: () => (fs.existsSync(sessionLog) ? fs.readFileSync(sessionLog, 'utf8').split('\n').filter((l) => l !== '') : []),
    remove() {
      fs.rmSync(file, { force: true });
      dir.remove();
    },
  };
}
