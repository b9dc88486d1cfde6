// deny_email_enable and secure_email_list_enable: the anonymous passwords
// (e-mail addresses, by custom) refused, or the only ones accepted, one a
// line in their files. Read by the master as root, once per configuration:
// at start, so that a file that cannot be read stops it, as in vsftpd.
import fs from 'node:fs';
import { settingError } from './config.js';
import type { ConfigKey, MiniftpConfig } from './config-table.js';

interface PasswordLists {
  banned: ReadonlySet<string> | null;
  allowed: ReadonlySet<string> | null;
}

const read = new WeakMap<MiniftpConfig, PasswordLists>();

function lines(config: MiniftpConfig, key: ConfigKey & ('banned_email_file' | 'email_password_file')): Set<string> {
  try {
    return new Set(fs.readFileSync(config[key], 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== ''));
  } catch (err) {
    throw settingError(config, key, `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Reads the files the configuration's anonymous password checks use (once).
 * @throws ConfigError naming banned_email_file or email_password_file when it cannot be read
 */
export function loadAnonymousPasswordLists(config: MiniftpConfig): PasswordLists {
  let lists = read.get(config);
  if (!lists) {
    lists = {
      banned: config.deny_email_enable ? lines(config, 'banned_email_file') : null,
      allowed: config.secure_email_list_enable ? lines(config, 'email_password_file') : null,
    };
    read.set(config, lists);
  }
  return lists;
}

/** Whether an anonymous login with `password` passes deny_email_enable and secure_email_list_enable. */
export function anonymousPasswordAccepted(config: MiniftpConfig, password: string): boolean {
  const { banned, allowed } = loadAnonymousPasswordLists(config);
  return !(banned?.has(password) ?? false) && (allowed?.has(password) ?? true);
}
