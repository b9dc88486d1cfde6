// user_config_dir: a file of settings per user name, read by the master as
// root at each login and laid over the server's settings for that login's
// session (and its worker). Only settings a session's worker applies after
// the login may be set there. Privileged side.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_TABLE, type ConfigKey, type MiniftpConfig, type Setting } from '../config-table.js';
import { parseConfig, settingOrigin } from '../config.js';
import { ConfigError } from '../config-error.js';
import { isAnonymousName } from '../anonymous-names.js';

// vsftpd's limit on a configuration file (VSFTP_CONF_FILE_MAX).
const MAX_BYTES = 100_000;

// Engine settings that act before the login (greeting, login checks, TLS
// before USER): the user's file is read too late for them.
const BEFORE_LOGIN = new Set<ConfigKey>([
  'anonymous_enable', 'local_enable', 'no_anon_password', 'ftpd_banner', 'max_login_fails',
  'ssl_enable', 'allow_anon_ssl', 'force_local_logins_ssl', 'force_anon_logins_ssl',
]);

// Per-session settings the master or the worker reads other than under an engine name.
const SESSION_SETTINGS: readonly ConfigKey[] = ['local_root', 'local_max_rate', 'anon_max_rate'];

/**
 * The settings a user's file may set: the engine's (not the shared helper's,
 * nor those that act before the login), local_root and the class rates.
 */
export const PER_USER_SETTINGS: ReadonlySet<ConfigKey> = new Set([
  ...(Object.entries(CONFIG_TABLE) as Array<[ConfigKey, Setting]>)
    .filter(([key, row]) => row.engine !== undefined && row.helper === undefined && !BEFORE_LOGIN.has(key))
    .map(([key]) => key),
  ...SESSION_SETTINGS,
]);

// A name that could leave the directory or name a hidden file reads nothing.
function isFileName(user: string): boolean {
  return user !== '' && !user.startsWith('.') && !user.includes('/') && !user.includes('\0');
}

/**
 * The settings of `user`'s sessions (the name as typed at USER): `config`
 * with the lines of user_config_dir/USER over it (user_config_dir/anonymous
 * for every anonymous name); `config` itself when user_config_dir is
 * unset, the file does not exist, or the name cannot be a file's.
 * The file is opened without following a symbolic link and must be a
 * regular file of at most 100000 bytes.
 * @throws ConfigError (ERR_MINIFTP_CONFIG) naming the file, and the line and
 *   setting where there is one: an unknown or bad line, a setting a user's
 *   file may not set, a symbolic link or other non-regular file, a read error
 */
export async function userSettings(config: MiniftpConfig, user: string): Promise<MiniftpConfig> {
  const dir = config.user_config_dir;
  if (dir === null || !isFileName(user)) return config;
  const file = path.join(dir, isAnonymousName(user) ? 'anonymous' : user);
  const text = await readUserFile(file);
  if (text === null) return config;
  const settings = parseConfig(text, file, config);
  let changed = false;
  for (const key of Object.keys(CONFIG_TABLE) as ConfigKey[]) {
    const origin = settingOrigin(settings, key);
    if (origin?.file !== file) continue;
    if (!PER_USER_SETTINGS.has(key)) {
      throw new ConfigError(file, origin.line, `${key} cannot be set per user (user_config_dir takes only settings of the session after its login)`, key);
    }
    changed = true;
  }
  return changed ? settings : config;
}

// The file's text, or null when there is none.
async function readUserFile(file: string): Promise<string | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    const why = code === 'ELOOP' ? 'is a symbolic link; a user\'s settings must be a regular file' : `cannot be read (${code ?? String(err)})`;
    throw new ConfigError(file, 0, why);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ConfigError(file, 0, 'is not a regular file');
    if (stat.size > MAX_BYTES) throw new ConfigError(file, 0, `is larger than ${MAX_BYTES} bytes`);
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
