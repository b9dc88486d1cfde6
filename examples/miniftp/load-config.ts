// What miniftp reads and checks before it serves, at start and again at each
// reload (SIGHUP): the configuration file with the command line's settings
// over it, the user database, the start-up checks and, with ssl_enable, the
// certificate and key. Runs in the master as root.
import fs from 'node:fs';
import { checkPamService } from 'privsep';
import { checkSecureChrootDir } from './check-chroot-dir.js';
import { loadAnonymousPasswordLists } from './anonymous-passwords.js';
import { checkCommandLists } from './check-command-lists.js';
import { greeting } from './greeting.js';
import { checkLoginLists } from './master/login-lists.js';
import { checkIdentities } from './check-identities.js';
import { ConfigError } from './config-error.js';
import { defaultConfig, parseConfig, settingError, settingOrigin } from './config.js';
import type { MiniftpConfig } from './config-table.js';
import { loadTlsCredentials } from './master/tls-credentials-privileged.js';
import type { GateSettings } from './gate/gate-settings.js';
import { parseUserDb, type UserDb } from './user-db.js';

/** Everything the master serves with, read and checked. */
export interface LoadedConfig {
  config: MiniftpConfig;
  userDb: UserDb | null;
  /** ssl_enable: the TLS gate's certificate, key and policy (null: no TLS). */
  tls: GateSettings | null;
}

/**
 * Reads `configFile` (null: the built-in defaults) and then `overrides`
 * (vsftpd's -o: settings given on the command line, after the file).
 * @throws ConfigError naming the file (and line) that cannot be used
 */
export function readConfig(configFile: string | null, overrides: readonly string[]): MiniftpConfig {
  let config = defaultConfig();
  if (configFile !== null) {
    let text: string;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new ConfigError(configFile, 0, `cannot read it: ${(err as Error).message}`);
    }
    config = parseConfig(text, configFile, config);
  }
  for (const [i, option] of overrides.entries()) config = parseConfig(option, `command line option ${i + 1}`, config);
  return config;
}

/**
 * The configuration with every check the server makes before it serves.
 * @throws ConfigError saying what is wrong and where
 */
export async function loadConfig(configFile: string | null, overrides: readonly string[]): Promise<LoadedConfig> {
  const config = readConfig(configFile, overrides);
  let userDb: UserDb | null = null;
  if (config.user_db) {
    let text: string;
    try {
      text = fs.readFileSync(config.user_db, 'utf8');
    } catch (err) {
      throw new ConfigError(config.user_db, 0, `cannot read it: ${(err as Error).message}`);
    }
    userDb = parseUserDb(text, config.user_db);
  }
  await checkIdentities(config, userDb);
  checkSecureChrootDir(config);
  checkCommandLists(config);
  greeting(config);
  loadAnonymousPasswordLists(config);
  checkLoginLists(config);
  if (config.pam_service_name) {
    // libpam is loaded at run time: a system without it, or a service without its file, is found now rather than at the first login.
    try {
      checkPamService(config.pam_service_name);
    } catch (err) {
      const e = err as Error & { code?: string };
      // A service without its file is a bad value; a missing libpam is not the value's fault.
      if (e.code !== 'ERR_PRIVSEP_PAM_UNAVAILABLE') throw settingError(config, 'pam_service_name', e.message);
      const origin = settingOrigin(config, 'pam_service_name');
      throw new ConfigError(origin?.file ?? 'default settings', origin?.line ?? 0, `pam_service_name=${config.pam_service_name}: ${e.message}`, 'pam_service_name');
    }
  }
  // The key file may be root's alone: read now, handed only to the TLS gate.
  const tls = config.ssl_enable ? loadTlsCredentials(config) : null;
  return { config, userDb, tls };
}
