// miniftp's virtual users file (the user_db setting): who may log in without
// a system account, with which password hash, acting as which system user, in
// which root directory. Read by the master, which alone checks passwords; pure.
import { ConfigError } from './config-error.js';
import { isAnonymousName } from './anonymous-names.js';

/** One virtual user. */
export interface VirtualUser {
  /** The login name. */
  readonly name: string;
  /** A crypt(3) hash ($y$ yescrypt, $6$ SHA-512, $5$, $2b$, ...), checked as /etc/shadow's are. */
  readonly passwordHash: string;
  /** The system user whose uid, gid and groups the session runs with. */
  readonly systemUser: string;
  /** The directory the session is confined to, absolute. */
  readonly root: string;
  /** Where the user is defined in the file. */
  readonly line: number;
}

/** The virtual users by login name. */
export type UserDb = ReadonlyMap<string, VirtualUser>;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$/;
const SYSTEM_USER = /^[a-z_][a-z0-9_-]{0,31}$/i;
// Modular crypt format ($id$[params$]salt$hash) or traditional 13-character DES.
const CRYPT_HASH = /^(?:\$[a-z0-9]{1,8}\$[A-Za-z0-9./$=,+-]{8,}|[A-Za-z0-9./]{13})$/;

/**
 * Reads a virtual users file. Each line is
 *
 *     name:crypt-hash:system-user:/root/directory
 *
 * where `name` is letters, digits and `._@-` (at most 64; `anonymous` and
 * `ftp` are reserved for anonymous logins), `crypt-hash` is a crypt(3)
 * hash as `mkpasswd` or `openssl passwd -6` print it (an account is
 * disabled by removing or commenting its line, not with `!` or `*`),
 * `system-user` is the account the session acts as (never root; that no
 * alias of root is named, by uid or primary group, needs the user database
 * and is checked at start by checkIdentities), and the
 * root directory is an absolute path without `.` or `..` parts (it may
 * contain ':'; everything after the third ':' is the path). Blank lines and
 * lines starting with '#' are skipped; whitespace around a line is ignored.
 * A name defined twice is an error. Messages never quote a hash.
 *
 * @param text the file's contents
 * @param fileName the name used in error messages
 * @returns the users by name; each user record is frozen
 * @throws ConfigError (ERR_MINIFTP_CONFIG) naming the file and line
 */
export function parseUserDb(text: string, fileName: string): UserDb {
  const users = new Map<string, VirtualUser>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const content = lines[i]!.trim();
    if (content === '' || content.startsWith('#')) continue;
    const fail = (why: string) => new ConfigError(fileName, line, why);
    const fields = content.split(':');
    if (fields.length < 4) throw fail('expected name:crypt-hash:system-user:/root/directory');
    const [name, passwordHash, systemUser] = fields as [string, string, string];
    const root = fields.slice(3).join(':');
    if (!NAME.test(name)) throw fail(`bad user name ${JSON.stringify(name.slice(0, 64))}: letters, digits and ._@- only, at most 64`);
    if (isAnonymousName(name)) throw fail(`user name ${JSON.stringify(name)} is reserved for anonymous logins`);
    if (!CRYPT_HASH.test(passwordHash)) throw fail(`bad password hash for user ${JSON.stringify(name)}: expected a crypt(3) hash such as $y$... or $6$...`);
    if (!SYSTEM_USER.test(systemUser)) throw fail(`bad system user ${JSON.stringify(systemUser.slice(0, 32))} for user ${JSON.stringify(name)}`);
    if (systemUser === 'root') throw fail(`user ${JSON.stringify(name)} must not act as root`);
    if (!root.startsWith('/') || root.includes('\0') || root.split('/').some((part) => part === '.' || part === '..')) {
      throw fail(`bad root directory ${JSON.stringify(root.slice(0, 200))} for user ${JSON.stringify(name)}: an absolute path without . or .. parts`);
    }
    const first = users.get(name);
    if (first) throw fail(`duplicate user ${JSON.stringify(name)} (first defined on line ${first.line})`);
    users.set(name, Object.freeze({ name, passwordHash, systemUser, root, line }));
  }
  return users;
}
