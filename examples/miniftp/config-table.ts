// miniftp's settings, declared once: name -> type, default, limits, meaning,
// as vsftpd's tunables.c and parseconf.c. The parser, the typed config object
// and the documentation all follow this table. Read by the master; pure.
import { addressFamily } from '../ftp/index.js';
import { namePatternError } from './session/name-pattern.js';
import { trustedListError } from './proxy-trust.js';

/**
 * Which process reads a setting besides the master, and under what name:
 * the session engine (EngineOptions, in every worker) and the nobody helper
 * (HelperSettings). Both objects are made from these names, so a setting
 * reaches them with its value and its default without another list.
 */
interface Destinations {
  readonly engine?: string;
  readonly helper?: string;
}

/** A YES/NO setting. */
export interface BoolSetting extends Destinations {
  readonly type: 'bool';
  readonly default: boolean;
  readonly doc: string;
}

/** A decimal integer setting within [min, max]. */
export interface IntSetting extends Destinations {
  readonly type: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly doc: string;
}

/** An octal setting (a umask or a mode), written with a leading 0, within [0, max]. */
export interface OctalSetting extends Destinations {
  readonly type: 'octal';
  readonly default: number;
  readonly max: number;
  readonly doc: string;
}

/** A text setting; `validate` returns why a value is refused, or undefined. A null default means unset. */
export interface StringSetting extends Destinations {
  readonly type: 'string';
  readonly default: string | null;
  readonly validate?: (value: string) => string | undefined;
  readonly doc: string;
}

/** One row of {@link CONFIG_TABLE}. */
export type Setting = BoolSetting | IntSetting | OctalSetting | StringSetting;

// setTimeout() holds at most 2^31-1 ms; a timeout in seconds stays below that.
const MAX_TIMEOUT_SECONDS = 2_147_483;
const MAX_RATE = 4_294_967_295;

function ipAddress(value: string): string | undefined {
  return addressFamily(value) === null ? 'must be an IPv4 or IPv6 address' : undefined;
}

function ipv4Address(value: string): string | undefined {
  return addressFamily(value) === 'IPv4' && !value.includes(':') ? undefined : 'must be an IPv4 address (PASV replies carry only IPv4)';
}

function absolutePath(value: string): string | undefined {
  if (!value.startsWith('/')) return 'must be an absolute path';
  if (value.split('/').some((part) => part === '.' || part === '..')) return 'must not contain . or .. parts';
  return undefined;
}

function logDestination(value: string): string | undefined {
  return value === '-' ? undefined : absolutePath(value);
}

function userName(value: string): string | undefined {
  return /^[a-z_][a-z0-9_-]{0,31}$/i.test(value) ? undefined : 'must be a user name (letters, digits, _ and -, at most 32)';
}

// Letters, digits and OpenSSL's separators and operators; OpenSSL itself checks the names at start.
function cipherList(value: string): string | undefined {
  return /^[A-Za-z0-9_+!@=:,. -]{1,1024}$/.test(value) ? undefined : 'must be an OpenSSL cipher list (letters, digits and + - ! @ = : , . _)';
}

// A file name under /etc/pam.d.
function pamServiceName(value: string): string | undefined {
  return /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,63}$/.test(value) ? undefined : 'must be a PAM service name (a file name under /etc/pam.d: letters, digits and _ + - ., at most 64)';
}

// vsftpd's cmds_allowed and cmds_denied: command names, comma-separated (the master checks at start that miniftp knows each).
function commandList(value: string): string | undefined {
  return /^[A-Za-z]{3,4}(,[A-Za-z]{3,4})*$/.test(value) ? undefined : 'must be command names separated by commas, without spaces (as PASV,RETR,QUIT)';
}

// A file name, not a path: looked up in each directory a session enters.
function fileName(value: string): string | undefined {
  return value.includes('/') || value === '.' || value === '..' ? 'must be a file name (no / and not . or ..)' : undefined;
}

function bannerText(value: string): string | undefined {
  return /[\x00-\x1f\x7f]/.test(value) ? 'must not contain control characters' : value.length > 512 ? 'must be at most 512 characters' : undefined;
}

/**
 * Every setting miniftp reads. Defaults are vsftpd 3's, except
 * listen_address (127.0.0.1: miniftp listens only locally until told
 * otherwise).
 */
export const CONFIG_TABLE = {
  listen_address: {
    type: 'string', default: '127.0.0.1', validate: ipAddress,
    doc: 'The address to listen on. Use 0.0.0.0 for every IPv4 address, :: for every address.',
  },
  listen_port: {
    type: 'int', default: 21, min: 0, max: 65535,
    doc: 'The control connection port. 0 takes any free port (for tests).',
  },
  listen: {
    type: 'bool', default: true,
    doc: 'Run standalone on IPv4 (listen_address). miniftp always runs standalone (it has no inetd mode), so its default is YES where vsftpd\'s is NO; listen=NO needs listen_ipv6=YES, and listen=YES written in the file does not go with listen_ipv6=YES, as in vsftpd.',
  },
  listen_ipv6: {
    type: 'bool', default: false,
    doc: 'Run standalone on IPv6 instead of IPv4 (vsftpd\'s meaning). Without a listen_address, it listens on ::1; listen_address=:: takes IPv4 clients too.',
  },
  pasv_enable: { type: 'bool', engine: 'pasvEnable', default: true, doc: 'Allow PASV and EPSV (the server listens, the client connects).' },
  port_enable: { type: 'bool', engine: 'portEnable', default: true, doc: 'Allow PORT and EPRT (the server connects to the client).' },
  pasv_min_port: {
    type: 'int', helper: 'pasvMinPort', default: 0, min: 0, max: 65535,
    doc: 'Lowest port for passive data connections; 0 for no lower bound (1024). Else 1024..65535.',
  },
  pasv_max_port: {
    type: 'int', helper: 'pasvMaxPort', default: 0, min: 0, max: 65535,
    doc: 'Highest port for passive data connections; 0 for no upper bound (65535). Else 1024..65535, not below pasv_min_port.',
  },
  pasv_address: {
    type: 'string', engine: 'pasvAddress', default: null, validate: ipv4Address,
    doc: 'The IPv4 address PASV replies announce, for a server behind NAT. Unset: the control connection\'s local address.',
  },
  pasv_promiscuous: {
    type: 'bool', engine: 'pasvPromiscuous', helper: 'pasvPromiscuous', default: false,
    doc: 'Accept a passive data connection from any address, not only the control connection\'s client. Unsafe.',
  },
  port_promiscuous: {
    type: 'bool', engine: 'portPromiscuous', helper: 'portPromiscuous', default: false,
    doc: 'Let PORT/EPRT name any address and port, including a third party\'s or a port below 1024 (FTP bounce). Unsafe.',
  },
  connect_from_port_20: {
    type: 'bool', helper: 'connectFromPort20', default: false,
    doc: 'Make active (PORT/EPRT) data connections from ftp_data_port, as RFC 959 says (needs CAP_NET_BIND_SERVICE in the helper).',
  },
  ftp_data_port: { type: 'int', helper: 'ftpDataPort', default: 20, min: 1, max: 65535, doc: 'The source port of active data connections when connect_from_port_20 is set.' },
  max_clients: { type: 'int', default: 2000, min: 0, max: 1_000_000, doc: 'Most control connections at once; more get 421 and are closed. 0: no limit.' },
  max_per_ip: { type: 'int', default: 50, min: 0, max: 1_000_000, doc: 'Most control connections from one address; more get 421 and are closed. 0: no limit.' },
  proxy_protocol_enable: {
    type: 'bool', helper: 'proxyProtocolEnable', default: false,
    doc: 'Run behind load balancers that speak the PROXY protocol (v1 or v2, as HAProxy\'s send-proxy and cloud load balancers do): every control and passive data connection must come from a proxy_protocol_trusted address and start with a header, whose client address then counts for max_per_ip and max_clients, the PASV and PORT checks and every log line. A connection from another address, or without a valid header within 5 seconds, is closed and logged. A header of the balancer\'s own connection (v2 LOCAL, v1 UNKNOWN: a health check) keeps the connection\'s own address. PORT/EPRT connect to the real client directly, not through the balancer.',
  },
  proxy_protocol_trusted: {
    type: 'string', helper: 'proxyProtocolTrusted', default: null, validate: trustedListError,
    doc: 'The load balancers\' addresses, as comma-separated CIDR blocks (192.0.2.0/24,2001:db8::/32; an address alone is one host). Required with proxy_protocol_enable; only connections from them are taken.',
  },
  spare_workers: {
    type: 'int', default: 2, min: 0, max: 64,
    doc: 'User workers kept started ahead, as root in their empty network namespace with their code loaded and no identity: the first login of a user with no worker yet takes one, which drops to that user\'s identity, and a new spare is started in its place. 0: each such login starts its worker then (slower).',
  },
  upgrade_socket: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'A unix socket (mode 0600) on which the running master hands its listener to a new generation started with `miniftp --upgrade` (root or the same user only). Unset: SIGUSR2 alone starts an upgrade. See docs/miniftp-design.md, "Upgrades".',
  },
  upgrade_drain_timeout: {
    type: 'int', default: 3600, min: 0, max: MAX_TIMEOUT_SECONDS,
    doc: 'After an upgrade, seconds the old generation waits for its last session to end; then it closes the sessions left and exits. 0: no limit.',
  },
  accept_timeout: {
    type: 'int', engine: 'acceptTimeout', helper: 'acceptTimeout', default: 60, min: 0, max: MAX_TIMEOUT_SECONDS,
    doc: 'Seconds to wait for the client to connect to a passive data port. 0: no timeout.',
  },
  connect_timeout: {
    type: 'int', engine: 'connectTimeout', helper: 'connectTimeout', default: 60, min: 0, max: MAX_TIMEOUT_SECONDS,
    doc: 'Seconds to wait for an active data connection to the client. 0: no timeout.',
  },
  idle_session_timeout: {
    type: 'int', engine: 'idleSessionTimeout', default: 300, min: 0, max: MAX_TIMEOUT_SECONDS,
    doc: 'Seconds without a command before the session gets 421 and is closed (never during a transfer). 0: no timeout.',
  },
  data_connection_timeout: {
    type: 'int', engine: 'dataConnectionTimeout', default: 300, min: 0, max: MAX_TIMEOUT_SECONDS,
    doc: 'Seconds a data transfer may make no progress before it is aborted. 0: no timeout.',
  },
  local_umask: { type: 'octal', engine: 'localUmask', default: 0o077, max: 0o777, doc: 'The umask of files and directories local and virtual users create.' },
  anon_umask: { type: 'octal', engine: 'anonUmask', default: 0o077, max: 0o777, doc: 'The umask of files and directories anonymous users create.' },
  file_open_mode: { type: 'octal', engine: 'fileOpenMode', default: 0o666, max: 0o777, doc: 'The mode uploads create files with, before the umask (anon_umask or local_umask).' },
  upload_max_rate: { type: 'int', engine: 'uploadMaxRate', default: 0, min: 0, max: MAX_RATE, doc: 'Bytes per second one session may upload. 0: no limit.' },
  download_max_rate: { type: 'int', engine: 'downloadMaxRate', default: 0, min: 0, max: MAX_RATE, doc: 'Bytes per second one session may download. 0: no limit.' },
  local_max_rate: {
    type: 'int', default: 0, min: 0, max: MAX_RATE,
    doc: 'vsftpd\'s name: bytes per second one local or virtual user session may transfer, either way. 0: no limit.',
  },
  anon_max_rate: {
    type: 'int', default: 0, min: 0, max: MAX_RATE,
    doc: 'vsftpd\'s name: bytes per second one anonymous session may transfer, either way. 0: no limit.',
  },
  anonymous_enable: { type: 'bool', engine: 'anonymousEnable', default: false, doc: 'Allow logins as anonymous or ftp, acting as ftp_username.' },
  anon_root: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'The root directory of anonymous sessions. Unset: ftp_username\'s home directory.',
  },
  anon_upload_enable: { type: 'bool', engine: 'anonUploadEnable', default: false, doc: 'Let anonymous users upload files (write_enable must be set too).' },
  anon_mkdir_write_enable: { type: 'bool', engine: 'anonMkdirWriteEnable', default: false, doc: 'Let anonymous users create directories (write_enable must be set too).' },
  anon_other_write_enable: { type: 'bool', engine: 'anonOtherWriteEnable', default: false, doc: 'Let anonymous users delete, rename, append and chmod (write_enable must be set too).' },
  no_anon_password: {
    type: 'bool', engine: 'noAnonPassword', default: false,
    doc: 'Anonymous users log in at USER, without being asked for a password (the password checks below see "<no password>").',
  },
  deny_email_enable: {
    type: 'bool', default: false,
    doc: 'Refuse anonymous logins whose password (an e-mail address by custom) is a line of banned_email_file.',
  },
  banned_email_file: {
    type: 'string', default: '/etc/vsftpd.banned_emails', validate: absolutePath,
    doc: 'The passwords deny_email_enable refuses, one a line. Read by the master at start; a file that cannot be read stops the start.',
  },
  secure_email_list_enable: {
    type: 'bool', default: false,
    doc: 'Accept only anonymous logins whose password is a line of email_password_file (a password list for anonymous users, in clear).',
  },
  email_password_file: {
    type: 'string', default: '/etc/vsftpd.email_passwords', validate: absolutePath,
    doc: 'The passwords secure_email_list_enable accepts, one a line. Read by the master at start; a file that cannot be read stops the start.',
  },
  anon_world_readable_only: {
    type: 'bool', engine: 'anonWorldReadableOnly', default: true,
    doc: 'Let anonymous users download only files that everyone may read (mode o+r), not merely files ftp_username may read.',
  },
  chown_uploads: {
    type: 'bool', engine: 'chownUploads', default: false,
    doc: 'Give every anonymous upload to chown_username, with mode chown_upload_mode, as soon as it is created (the master does the chown).',
  },
  chown_username: {
    type: 'string', default: 'root', validate: userName,
    doc: 'The owner of anonymous uploads with chown_uploads. It must not be a uid 0 account: vsftpd\'s default, root, is refused at start.',
  },
  chown_upload_mode: { type: 'octal', default: 0o600, max: 0o777, doc: 'The mode of anonymous uploads given away by chown_uploads.' },
  local_enable: { type: 'bool', engine: 'localEnable', default: true, doc: 'Allow local users (system accounts, shadow password) and user_db users to log in.' },
  local_root: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'A directory local users start in (and are confined to with chroot_local_user). Unset: the home directory.',
  },
  user_config_dir: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'A directory of files named after users (as typed at USER; anonymous for anonymous sessions), read by the master as root at each login: a file\'s key=value lines override this file\'s settings for that user\'s sessions, which get a worker of their own. Only per-session settings may be set there (see "Per-user settings"); any other, or a bad line, refuses that login with 530 and logs the file, line and setting. A name starting with . or holding / reads no file, nor does a symbolic link (refused).',
  },
  write_enable: { type: 'bool', engine: 'writeEnable', default: false, doc: 'Allow any command that changes the file system (STOR, DELE, MKD, RNTO, SITE CHMOD, ...).' },
  cmds_allowed: {
    type: 'string', engine: 'cmdsAllowed', default: null, validate: commandList,
    doc: 'After login, only these commands (comma-separated, as PASV,RETR,QUIT) are allowed; any other gets 550 "Permission denied.". Unset: all.',
  },
  cmds_denied: {
    type: 'string', engine: 'cmdsDenied', default: null, validate: commandList,
    doc: 'After login, these commands (comma-separated, as DELE,RMD) get 550 "Permission denied.". Applied after cmds_allowed.',
  },
  download_enable: { type: 'bool', engine: 'downloadEnable', default: true, doc: 'Allow downloads; without it RETR gets 550 "Permission denied.".' },
  dirlist_enable: { type: 'bool', engine: 'dirlistEnable', default: true, doc: 'Allow directory listings; without it LIST, NLST, MLSD and STAT with a path get 550 "Permission denied.".' },
  chmod_enable: { type: 'bool', engine: 'chmodEnable', default: true, doc: 'Allow SITE CHMOD to local and virtual users (with write_enable); anonymous users never have it.' },
  deny_file: {
    type: 'string', engine: 'denyFile', default: null, validate: namePatternError,
    doc: 'A pattern of names that may not be touched in any way (as {*.mp3,*.mov,.private}: *, ?, one level of {a,b}): a command on a path with a matching name anywhere in it gets 550 "Permission denied."; a name containing the whole text also matches. Matching names are still listed (see hide_file). Not an access control: a name reached through a link is not checked.',
  },
  hide_file: {
    type: 'string', engine: 'hideFile', default: null, validate: namePatternError,
    doc: 'A pattern of names left out of listings (LIST, NLST, MLSD, STAT), with deny_file\'s syntax; they stay accessible to a client that names them.',
  },
  force_dot_files: { type: 'bool', engine: 'forceDotFiles', default: false, doc: 'LIST and NLST show names starting with a dot without -a (but not . and ..).' },
  ls_recurse_enable: {
    type: 'bool', engine: 'lsRecurseEnable', default: false,
    doc: 'LIST -R lists the subdirectories too, as ls -lR (symbolic links not followed), up to 20000 entries and 16 levels; a listing cut there says so in its 226 reply. Off, -R is ignored.',
  },
  mdtm_write: {
    type: 'bool', engine: 'mdtmWrite', default: true,
    doc: 'MDTM YYYYMMDDHHMMSS path (UTC) sets a file\'s modification time, with the permission DELE needs; without it the argument is always a path.',
  },
  dirmessage_enable: {
    type: 'bool', engine: 'dirmessageEnable', default: false,
    doc: 'CWD into a directory that holds message_file shows the file (at most 4000 bytes) as lines of its 250 reply. Debian\'s vsftpd.conf sets it.',
  },
  message_file: { type: 'string', engine: 'messageFile', default: '.message', validate: fileName, doc: 'The name of the file dirmessage_enable shows.' },
  chroot_local_user: { type: 'bool', default: false, doc: 'Confine local users to their root directory.' },
  chroot_list_enable: {
    type: 'bool', default: false,
    doc: 'Read chroot_list_file at each login: its names are the local users not confined with chroot_local_user=YES, or the only ones confined with NO. An unreadable list stops the start, and refuses the login when it goes missing later.',
  },
  chroot_list_file: {
    type: 'string', default: '/etc/vsftpd.chroot_list', validate: absolutePath,
    doc: 'The chroot list: one user name a line; blank lines and # comments are skipped.',
  },
  passwd_chroot_enable: {
    type: 'bool', default: false,
    doc: 'For a confined local user whose home directory has a /./ in it, the part before is the root and the part after the first directory inside it (before local_root).',
  },
  allow_writeable_chroot: {
    type: 'bool', default: false,
    doc: 'Accepted for vsftpd\'s files and not needed: miniftp serves a root the user may write, since a worker is chrooted after it dropped every privilege and never runs a program (see "Writable roots").',
  },
  userlist_enable: {
    type: 'bool', default: false,
    doc: 'Check userlist_file at USER, before the password is asked: a refused name gets "530 Permission denied." after delay_failed_login and counts as a failed login. An unreadable list stops the start, and refuses everyone when it goes missing later.',
  },
  userlist_file: {
    type: 'string', default: '/etc/vsftpd.user_list', validate: absolutePath,
    doc: 'The user list: one user name a line as typed at USER (case matters); blank lines and # comments are skipped.',
  },
  userlist_deny: {
    type: 'bool', default: true,
    doc: 'YES: the names in userlist_file are refused. NO: only they may log in.',
  },
  check_shell: {
    type: 'bool', default: true,
    doc: 'Let a local user log in only when its login shell is listed in /etc/shells (an empty shell is /bin/sh), as vsftpd and PAM\'s pam_shells do.',
  },
  pam_service_name: {
    type: 'string', default: null, validate: pamServiceName,
    doc: 'The PAM service local users log in through (Debian\'s vsftpd uses vsftpd): PAM authenticates, checks the account and opens the session, and check_shell and /etc/ftpusers are left to the service (pam_shells, pam_listfile), as in vsftpd. Unset: the shadow + crypt check. vsftpd\'s default is ftp; see docs/miniftp-config.md for why it is unset here.',
  },
  nopriv_user: {
    type: 'string', default: 'nobody', validate: userName,
    doc: 'Its primary group is the group of the helper and the pre-login worker (their uids are helper_uid and prelogin_uid).',
  },
  ftp_username: { type: 'string', default: 'ftp', validate: userName, doc: 'The system user anonymous sessions act as.' },
  secure_chroot_dir: {
    type: 'string', default: '/usr/share/empty', validate: absolutePath,
    doc: 'An empty directory that the pre-login worker is chrooted to; made (root, 0755) when missing; the start is refused when root does not own it or group or others may write to it. Debian\'s vsftpd uses /var/run/vsftpd/empty.',
  },
  banner_file: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'A file whose text (at most 4000 bytes, any number of lines) is the 220 greeting, instead of ftpd_banner. Read as root when each worker starts; a file that cannot be read stops the start.',
  },
  ftpd_banner: { type: 'string', engine: 'banner', default: null, validate: bannerText, doc: 'The text of the 220 greeting. Unset: a banner naming miniftp.' },
  hide_ids: { type: 'bool', engine: 'hideIds', default: false, doc: 'Show every owner and group as ftp in listings.' },
  text_userdb_names: {
    type: 'bool', default: false,
    doc: 'Show owner and group names (from /etc/passwd and /etc/group as a worker starts) in LIST and STAT, and as unix.ownername/unix.groupname in MLSD and MLST.',
  },
  use_localtime: { type: 'bool', engine: 'useLocaltime', default: false, doc: 'Show listing times, and the times of log lines, in the server\'s time zone, instead of UTC.' },
  user_db: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'A file of virtual users (name:crypt-hash:system-user:root-directory), checked before system accounts.',
  },
  delay_failed_login: { type: 'int', default: 1, min: 0, max: 60, doc: 'Seconds a failed login waits before its 530; only that session waits.' },
  max_login_fails: { type: 'int', engine: 'maxLoginFails', default: 3, min: 1, max: 1000, doc: 'Failed logins after which the connection is closed.' },
  xferlog_enable: {
    type: 'bool', default: false,
    doc: 'Log every session start, login, transfer, file action and end, one line each, in vsftpd\'s style to vsftpd_log_file; with xferlog_std_format, only transfers, in the xferlog format to xferlog_file instead.',
  },
  vsftpd_log_file: {
    type: 'string', default: '/var/log/vsftpd.log', validate: logDestination,
    doc: 'Where the vsftpd-style log goes (with xferlog_enable and not xferlog_std_format, or with dual_log_enable; not with syslog_enable); - for standard output.',
  },
  xferlog_std_format: {
    type: 'bool', default: false,
    doc: 'Write the transfer log in the wu-ftpd xferlog format (man 5 xferlog) that log analysers read, one line per upload and download, to xferlog_file; the vsftpd-style log is then off unless dual_log_enable.',
  },
  xferlog_file: {
    type: 'string', default: '/var/log/xferlog', validate: logDestination,
    doc: 'Where the xferlog-format lines go (with xferlog_enable and xferlog_std_format, or with dual_log_enable); - for standard output.',
  },
  dual_log_enable: {
    type: 'bool', default: false,
    doc: 'Write both logs: the xferlog-format one to xferlog_file and the vsftpd-style one to vsftpd_log_file (or the system log with syslog_enable). Turns logging on by itself, as in vsftpd.',
  },
  log_ftp_protocol: {
    type: 'bool', engine: 'logFtpProtocol', default: false,
    doc: 'Log every FTP command and reply in the vsftpd-style log ("FTP command", "FTP response"); a PASS command is logged as "PASS <password>". Not in the xferlog-format log.',
  },
  syslog_enable: {
    type: 'bool', default: false,
    doc: 'Send the vsftpd-style log lines to the system log (/dev/log, facility FTP, tagged miniftp[pid]) instead of vsftpd_log_file; failed logins at warning, the rest at info. The start is refused when /dev/log does not take datagrams.',
  },
  log_json: { type: 'bool', default: false, doc: 'Write log lines as JSON objects (JSON lines), instead of text.' },
  helper_uid: {
    type: 'int', default: 65533, min: 1, max: 2_147_483_647,
    doc: 'The uid of the nobody helper: an id of its own that no account has (checked at start), so that no other process can signal or trace it.',
  },
  prelogin_uid: {
    type: 'int', default: 65532, min: 1, max: 2_147_483_647,
    doc: 'The uid of the pre-login worker: an id of its own that no account has and not helper_uid (checked at start).',
  },
  ssl_enable: {
    type: 'bool', engine: 'sslEnable', default: false,
    doc: 'Offer FTPS (RFC 4217): AUTH TLS on the control connection, PBSZ and PROT for data connections. TLS is terminated by the TLS gate, a process of its own (gate_uid), which alone holds the private key.',
  },
  implicit_ssl: {
    type: 'bool', default: false,
    doc: 'TLS from the first byte on every connection (implicit FTPS, usually port 990): the master sends each accepted connection to the TLS gate before the pre-login worker sees it. Needs ssl_enable.',
  },
  rsa_cert_file: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'The server\'s certificate (PEM, the chain may follow). Read by the master as root at start; a missing or unreadable file, or one that is not a certificate, stops the start. Needed with ssl_enable.',
  },
  rsa_private_key_file: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'The certificate\'s private key (PEM; root-only readable is fine). Unset: rsa_cert_file holds it too. It must match the certificate. Only the TLS gate ever holds it in memory, besides the master at start.',
  },
  ssl_tlsv1_2: { type: 'bool', default: true, doc: 'Allow TLS 1.2. TLS 1.2 is the oldest version miniftp ever speaks.' },
  ssl_tlsv1_3: { type: 'bool', default: true, doc: 'Allow TLS 1.3. At least one of ssl_tlsv1_2 and ssl_tlsv1_3 must be YES.' },
  ssl_ciphers: {
    type: 'string', default: null, validate: cipherList,
    doc: 'The TLS 1.2 cipher list, in OpenSSL\'s syntax. Unset: Node\'s defaults. A list OpenSSL refuses stops the start.',
  },
  force_local_logins_ssl: {
    type: 'bool', engine: 'forceLocalLoginsSsl', default: true,
    doc: 'Local and virtual users must send AUTH TLS before USER: without it, USER gets 530 "Non-anonymous sessions must use encryption." (with ssl_enable; the master checks it again at login).',
  },
  force_local_data_ssl: {
    type: 'bool', engine: 'forceLocalDataSsl', default: true,
    doc: 'Local and virtual users\' transfers and listings need PROT P: without it they get 522 (with ssl_enable).',
  },
  allow_anon_ssl: {
    type: 'bool', engine: 'allowAnonSsl', default: false,
    doc: 'Let anonymous sessions use TLS. Without it, anonymous USER over TLS gets 530 "Anonymous sessions may not use encryption."',
  },
  force_anon_logins_ssl: {
    type: 'bool', engine: 'forceAnonLoginsSsl', default: false,
    doc: 'Anonymous sessions must send AUTH TLS before USER (with ssl_enable and allow_anon_ssl).',
  },
  force_anon_data_ssl: {
    type: 'bool', engine: 'forceAnonDataSsl', default: false,
    doc: 'Anonymous sessions\' transfers and listings need PROT P (with ssl_enable and allow_anon_ssl).',
  },
  require_ssl_reuse: {
    type: 'bool', default: true,
    doc: 'A PROT P data connection must resume the TLS session of its control connection (so that a third party who connects to the data port first cannot take the transfer); one that does not gets 522 and no transfer.',
  },
  strict_ssl_read_eof: {
    type: 'bool', default: false,
    doc: 'A PROT P upload must end with a TLS close_notify: one whose client ends the data connection with a bare FIN (which a third party can forge to cut an upload short) gets 426 "Failure reading network stream.", is logged as failed, and keeps the bytes that came. Such uploads cost a copy more in the TLS gate and in the worker (no splice).',
  },
  ca_certs_file: {
    type: 'string', default: null, validate: absolutePath,
    doc: 'CA certificates (PEM) that client certificates are checked against with validate_cert. Read by the master at start; a file that cannot be read or holds no certificate stops the start.',
  },
  require_cert: {
    type: 'bool', default: false,
    doc: 'Every TLS connection, control and data, must present a client certificate; a handshake without one is refused (with ssl_enable).',
  },
  validate_cert: {
    type: 'bool', default: false,
    doc: 'With require_cert: the client certificate must be signed by one of ca_certs_file\'s CAs and valid now; without it any certificate will do. Needs ca_certs_file.',
  },
  debug_ssl: {
    type: 'bool', default: false,
    doc: 'The TLS gate writes a line to the server\'s standard error for every handshake: the session, control or data, the version and cipher, whether it resumed, the client certificate\'s subject, and why a handshake failed.',
  },
  gate_uid: {
    type: 'int', default: 65531, min: 1, max: 2_147_483_647,
    doc: 'The uid of the TLS gate: an id of its own that no account has, not helper_uid nor prelogin_uid (checked at start).',
  },
  worker_ping_interval: {
    type: 'int', default: 30, min: 1, max: 3600,
    doc: 'Seconds between the master\'s pings of the helper and of each worker; one that has not answered within this time is killed and replaced.',
  },
} as const satisfies Record<string, Setting>;

/** The name of a setting. */
export type ConfigKey = keyof typeof CONFIG_TABLE;

type ValueOf<S extends Setting> = S extends BoolSetting ? boolean
  : S extends IntSetting | OctalSetting ? number
  : S extends { readonly default: null } ? string | null
  : string;

/** miniftp's settings as the server reads them: every key, typed, frozen. */
export type MiniftpConfig = { readonly [K in ConfigKey]: ValueOf<(typeof CONFIG_TABLE)[K]> };

type Row<K extends ConfigKey> = (typeof CONFIG_TABLE)[K];
type NameIn<K extends ConfigKey, D extends keyof Destinations> = Row<K> extends { readonly [P in D]: infer N extends string } ? N : never;
type SettingsFor<D extends keyof Destinations> = { [K in ConfigKey as NameIn<K, D>]: ValueOf<Row<K>> };

/** The settings the session engine reads as they are, under its names for them. */
export type EngineSettingsFromTable = SettingsFor<'engine'>;

/** The nobody helper's settings (timeouts in seconds), sent to it by the master. */
export type HelperSettings = SettingsFor<'helper'>;

/** The values of the settings that go to `destination`, under their names there; defaults where `config` is omitted. */
function settingsFor(destination: keyof Destinations, config?: MiniftpConfig): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(CONFIG_TABLE) as Array<[ConfigKey, Setting]>) {
    const name = row[destination];
    if (name !== undefined) settings[name] = config ? config[key] : row.default;
  }
  return settings;
}

/** The engine's settings from the configuration (their defaults without one). */
export function engineSettingsFromTable(config?: MiniftpConfig): EngineSettingsFromTable {
  return settingsFor('engine', config) as EngineSettingsFromTable;
}

/** The nobody helper's settings from the configuration (their defaults without one). */
export function helperSettings(config?: MiniftpConfig): HelperSettings {
  return settingsFor('helper', config) as HelperSettings;
}
