// Start-up check of secure_chroot_dir, the empty directory the pre-login
// worker is chrooted into: a directory that anyone but root may write (or
// that root does not own) would let another account put files where the
// pre-login worker looks, so the start is refused, as vsftpd refuses a
// writable chroot. A missing one is made by the master (root, 0755).
import fs from 'node:fs';
import { settingError } from './config.js';
import type { MiniftpConfig } from './config-table.js';

/** @throws ConfigError naming secure_chroot_dir's file and line and why */
export function checkSecureChrootDir(config: MiniftpConfig): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(config.secure_chroot_dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw settingError(config, 'secure_chroot_dir', (err as Error).message);
  }
  if (!stat.isDirectory()) throw settingError(config, 'secure_chroot_dir', 'not a directory');
  if (stat.uid !== 0) throw settingError(config, 'secure_chroot_dir', `owned by uid ${stat.uid}; it must belong to root`);
  if ((stat.mode & 0o022) !== 0) {
    throw settingError(config, 'secure_chroot_dir', `mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')} lets others write to it; it must not be writable by group or others`);
  }
}
