// The system files that refuse logins besides the password: /etc/shells
// (with check_shell, a local user's shell must be listed there, as
// pam_shells wants) and /etc/ftpusers (the accounts that never log in over
// FTP, which Debian's PAM configuration of FTP servers denies). Read at each
// login, so that an edit counts at once. Privileged side.
import fs from 'node:fs/promises';

const SHELLS = '/etc/shells';
const FTPUSERS = '/etc/ftpusers';

/** The lines of a file, trimmed, without blank lines and '#' comments; null when it cannot be read. */
export async function listedLines(file: string): Promise<string[] | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Whether `shell` (a passwd entry's, empty meaning /bin/sh) is a listed
 * login shell. Like pam_shells, a missing, unreadable or world-writable
 * /etc/shells lists nothing, and only absolute paths count.
 */
export async function isListedShell(shell: string): Promise<boolean> {
  const stat = await fs.stat(SHELLS).catch(() => null);
  if (stat === null || !stat.isFile() || (stat.mode & 0o002) !== 0) return false;
  const shells = await listedLines(SHELLS);
  const wanted = shell === '' ? '/bin/sh' : shell;
  return shells !== null && shells.some((line) => line.startsWith('/') && line === wanted);
}

/**
 * Whether /etc/ftpusers (one user name a line) denies `user`. No file
 * denies nobody, as pam_listfile's onerr=succeed in Debian's setup.
 */
export async function isFtpusersDenied(user: string): Promise<boolean> {
  const names = await listedLines(FTPUSERS);
  return names !== null && names.includes(user);
}
