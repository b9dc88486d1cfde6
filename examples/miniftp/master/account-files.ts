// The system files that refuse logins besides the password: /etc/shells
// (with check_shell, a local user's shell must be listed there, as
// pam_shells wants) and /etc/ftpusers (the accounts that never log in over
// FTP, which Debian's PAM configuration of FTP servers denies). Checked at
// each login, so that an edit counts at once; read again only when changed.
// Privileged side.
import fs, { type BigIntStats } from 'node:fs';
import { CheckedFile } from './checked-file.js';

// The lines of a text, trimmed, without blank lines and '#' comments.
function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/** The lines of a file, trimmed, without blank lines and '#' comments; null when it cannot be read. */
export async function listedLines(file: string): Promise<string[] | null> {
  const text = await fs.promises.readFile(file, 'utf8').catch(() => null);
  return text === null ? null : lines(text);
}

// Like pam_shells, a missing, unreadable or world-writable /etc/shells lists
// nothing, and only absolute paths count.
const shells = new CheckedFile('/etc/shells', (text: string | null, stat: BigIntStats | null): ReadonlySet<string> => {
  if (text === null || stat === null || !stat.isFile() || (stat.mode & 0o002n) !== 0n) return new Set();
  return new Set(lines(text).filter((line) => line.startsWith('/')));
});

// No file denies nobody, as pam_listfile's onerr=succeed in Debian's setup.
const ftpusers = new CheckedFile('/etc/ftpusers', (text: string | null): ReadonlySet<string> => new Set(text === null ? [] : lines(text)));

/** Whether `shell` (a passwd entry's, empty meaning /bin/sh) is a listed login shell. */
export async function isListedShell(shell: string): Promise<boolean> {
  return (await shells.value()).has(shell === '' ? '/bin/sh' : shell);
}

/** Whether /etc/ftpusers (one user name a line) denies `user`. */
export async function isFtpusersDenied(user: string): Promise<boolean> {
  return (await ftpusers.value()).has(user);
}
