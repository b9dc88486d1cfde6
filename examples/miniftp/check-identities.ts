// Start-up checks that need the user database: every account a miniftp
// process will run as exists and is not root by uid or primary group
// (nopriv_user, ftp_username when anonymous logins are on, the system user
// of each user_db line), and the ids of the helper and the pre-login worker
// (helper_uid, prelogin_uid, gate_uid) belong to no account. Runs in the master before it starts anything;
// logins check again, since accounts change while the server runs.
import { getUser } from 'privsep';
import { ConfigError } from './config-error.js';
import { settingError } from './config.js';
import type { ConfigKey, MiniftpConfig } from './config-table.js';
import { rootIdsReason } from './root-ids.js';
import type { UserDb } from './user-db.js';

const NEVER_ROOT = 'no miniftp session or helper may run as root';

async function accountProblem(name: string): Promise<string | null> {
  const entry = await getUser(name);
  if (entry === null) return 'no such user';
  const why = rootIdsReason(entry);
  return why === null ? null : `${why}; ${NEVER_ROOT}`;
}

/**
 * Refuses a configuration whose accounts cannot be used.
 * @throws ConfigError naming the setting's file and line (or the user_db
 *   line) and why; the lookup errors of NSS (EIO, ...)
 */
export async function checkIdentities(config: MiniftpConfig, userDb: UserDb | null): Promise<void> {
  const settings: ConfigKey[] = config.anonymous_enable ? ['nopriv_user', 'ftp_username'] : ['nopriv_user'];
  for (const key of settings) {
    const why = await accountProblem(String(config[key]));
    if (why !== null) throw settingError(config, key, why);
  }
  // Another process running as one of these ids could signal or trace that role.
  for (const key of ['helper_uid', 'prelogin_uid', 'gate_uid'] as const) {
    const owner = await getUser(config[key]);
    if (owner !== null) throw settingError(config, key, `it is the uid of the account ${owner.name}; it must be an id that no account has`);
  }
  if (userDb === null) return;
  const problems = new Map<string, string | null>();
  for (const user of userDb.values()) {
    if (!problems.has(user.systemUser)) problems.set(user.systemUser, await accountProblem(user.systemUser));
    const why = problems.get(user.systemUser);
    if (why) throw new ConfigError(config.user_db ?? 'user_db', user.line, `system user ${JSON.stringify(user.systemUser)} of user ${JSON.stringify(user.name)}: ${why}`);
  }
}
