// The user names that mean an anonymous login (any case), as in vsftpd:
// the master logs them in as ftp_username, the worker names the session
// `ftp`, and no virtual user may take them.
const ANONYMOUS_NAMES = new Set(['anonymous', 'ftp']);

export function isAnonymousName(user: string): boolean {
  return ANONYMOUS_NAMES.has(user.toLowerCase());
}
