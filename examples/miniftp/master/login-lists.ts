// vsftpd's user and chroot lists, read by the master (root) at each check so
// that an edit counts at once, as vsftpd reads them for each connection. One
// name a line, compared exactly (case matters); blank lines and '#' comments
// are skipped (vsftpd compares them as names, which no account has).
// Privileged side.
import fs from 'node:fs';
import { settingError } from '../config.js';
import type { MiniftpConfig } from '../config-table.js';
import { listedLines } from './account-files.js';

/**
 * Whether userlist_enable refuses `user` (the name as typed): listed with
 * userlist_deny=YES, or not listed with userlist_deny=NO. A list that cannot
 * be read refuses everyone, as vsftpd serves no session without it.
 */
export async function isRefusedByUserList(config: MiniftpConfig, user: string): Promise<boolean> {
  if (!config.userlist_enable) return false;
  const names = await listedLines(config.userlist_file);
  if (names === null) return true;
  return names.includes(user) === config.userlist_deny;
}

/**
 * Whether local user `user` is chrooted: chroot_local_user, inverted for the
 * names in chroot_list_file with chroot_list_enable. Null when the list
 * cannot be read (the login is refused, as vsftpd ends such a session).
 */
export async function isChrootedLocalUser(config: MiniftpConfig, user: string): Promise<boolean | null> {
  if (!config.chroot_list_enable) return config.chroot_local_user;
  const names = await listedLines(config.chroot_list_file);
  if (names === null) return null;
  return names.includes(user) !== config.chroot_local_user;
}

function checkReadable(config: MiniftpConfig, key: 'userlist_file' | 'chroot_list_file'): void {
  try {
    fs.accessSync(config[key], fs.constants.R_OK);
    if (!fs.statSync(config[key]).isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw settingError(config, key, `cannot read the list: ${(err as Error).message}`);
  }
}

/**
 * Start-up check: an enabled list must be readable, so that a missing file
 * stops the start instead of refusing every login later.
 * @throws ConfigError naming the setting's file and line and why
 */
export function checkLoginLists(config: MiniftpConfig): void {
  if (config.userlist_enable) checkReadable(config, 'userlist_file');
  if (config.chroot_list_enable) checkReadable(config, 'chroot_list_file');
}
