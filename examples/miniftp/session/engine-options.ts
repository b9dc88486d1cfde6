// The settings the session engine reads: timeouts, umasks, write permissions,
// rate limits, data connection policy, banner. The process side fills them
// from the vsftpd-style configuration; defaults are vsftpd's.

/** Looks up user and group names for LIST when ids are shown by name. */
export interface IdNameLookup {
  user(uid: number): string | undefined;
  group(gid: number): string | undefined;
}

/** The engine's settings; every field has a default in {@link DEFAULT_ENGINE_OPTIONS}. */
export interface EngineOptions {
  /** ftpd_banner: the text of the 220 greeting; null gives "(miniftp)". */
  banner: string | null;
  /** idle_session_timeout, seconds (0: none). Never fires while a command or transfer runs. */
  idleSessionTimeout: number;
  /** data_connection_timeout, seconds without progress before a transfer fails (0: none). */
  dataConnectionTimeout: number;
  /** accept_timeout, seconds to wait for the client's passive data connection. */
  acceptTimeout: number;
  /** connect_timeout, seconds to wait for an active data connection to the client. */
  connectTimeout: number;
  /** file_open_mode: the mode an upload creates a file with, before the umask. */
  fileOpenMode: number;
  /** local_umask and anon_umask: new files get fileOpenMode & ~umask, directories 0777 & ~umask. */
  localUmask: number;
  anonUmask: number;
  /** write_enable: any command that changes the file system. */
  writeEnable: boolean;
  /** anon_upload_enable (STOR, STOU), anon_mkdir_write_enable (MKD), anon_other_write_enable (DELE, RMD, RNFR/RNTO, APPE, SITE CHMOD). */
  anonUploadEnable: boolean;
  anonMkdirWriteEnable: boolean;
  anonOtherWriteEnable: boolean;
  /** anon_world_readable_only: anonymous sessions download only files that others may read. */
  anonWorldReadableOnly: boolean;
  /** chown_uploads: anonymous uploads are given away (by the host's chownUpload) as soon as they are opened. */
  chownUploads: boolean;
  /** anonymous_enable and local_enable, as USER checks them. */
  anonymousEnable: boolean;
  localEnable: boolean;
  /** download_max_rate and upload_max_rate, bytes per second per session (0: unlimited). */
  downloadMaxRate: number;
  uploadMaxRate: number;
  /** hide_ids: LIST shows "ftp" as every owner and group. */
  hideIds: boolean;
  /** With it (and hideIds off), LIST shows owner and group names; without, numbers (vsftpd's default). */
  idNames: IdNameLookup | null;
  /** pasv_enable and port_enable. */
  pasvEnable: boolean;
  portEnable: boolean;
  /** pasv_address: the address a 227 reply gives (NAT); null: the control connection's local address. */
  pasvAddress: string | null;
  /** port_promiscuous: PORT/EPRT may name any address and port (FTP bounce); checked by the engine and again by the helper. */
  portPromiscuous: boolean;
  /** pasv_promiscuous: a passive data connection may come from any address (checked by whoever accepts it). */
  pasvPromiscuous: boolean;
  /** max_login_fails: failed PASS commands before the connection is closed. */
  maxLoginFails: number;
  /**
   * An emulated root: this real directory is "/" for every session, and no
   * path (symbolic links included) may leave it. null when the process itself
   * is chrooted or serves real paths. A login answer may give its own.
   */
  root: string | null;
  /** Longest command line, bytes (vsftpd: 4096). */
  maxCommandLineBytes: number;
  /** LIST and MDTM times in local time instead of UTC (use_localtime). */
  useLocaltime: boolean;
  /** Most entries a listing (LIST, NLST, MLSD, STAT) reads from one directory; past it the listing is refused. */
  maxListingEntries: number;
}

/** vsftpd's defaults, with miniftp's own where vsftpd has none. */
export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = Object.freeze({
  banner: null,
  idleSessionTimeout: 300,
  dataConnectionTimeout: 300,
  acceptTimeout: 60,
  connectTimeout: 60,
  fileOpenMode: 0o666,
  localUmask: 0o077,
  anonUmask: 0o077,
  writeEnable: false,
  anonUploadEnable: false,
  anonMkdirWriteEnable: false,
  anonOtherWriteEnable: false,
  anonWorldReadableOnly: true,
  chownUploads: false,
  anonymousEnable: true,
  localEnable: false,
  downloadMaxRate: 0,
  uploadMaxRate: 0,
  hideIds: false,
  idNames: null,
  pasvEnable: true,
  portEnable: true,
  pasvAddress: null,
  portPromiscuous: false,
  pasvPromiscuous: false,
  maxLoginFails: 3,
  root: null,
  maxCommandLineBytes: 4096,
  useLocaltime: false,
  maxListingEntries: 100_000,
});

const nonNegative: ReadonlyArray<keyof EngineOptions> = [
  'idleSessionTimeout', 'dataConnectionTimeout', 'acceptTimeout', 'connectTimeout',
  'downloadMaxRate', 'uploadMaxRate', 'maxLoginFails', 'maxListingEntries',
];

/**
 * The defaults overridden by `overrides`, checked.
 * @throws RangeError (ERR_OUT_OF_RANGE) for a negative or non-integer number,
 *   a umask or file mode outside 0..0o777, or a command line cap under 512 bytes;
 *   TypeError (ERR_INVALID_ARG_VALUE) for a root that is not an absolute path
 */
export function engineOptions(overrides: Partial<EngineOptions> = {}): EngineOptions {
  const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...overrides };
  const range = (name: string, value: number, what: string) =>
    Object.assign(new RangeError(`The value of "${name}" is out of range. It must be ${what}. Received ${value}`), { code: 'ERR_OUT_OF_RANGE' });
  for (const name of nonNegative) {
    const value = options[name] as number;
    if (!Number.isInteger(value) || value < 0) throw range(name, value, 'an integer >= 0');
  }
  for (const name of ['fileOpenMode', 'localUmask', 'anonUmask'] as const) {
    if (!Number.isInteger(options[name]) || options[name] < 0 || options[name] > 0o777) throw range(name, options[name], 'an integer 0..0o777');
  }
  if (!Number.isInteger(options.maxCommandLineBytes) || options.maxCommandLineBytes < 512) {
    throw range('maxCommandLineBytes', options.maxCommandLineBytes, 'an integer >= 512');
  }
  if (options.root !== null && (typeof options.root !== 'string' || !options.root.startsWith('/') || options.root.includes('\0'))) {
    throw Object.assign(new TypeError(`The option "root" must be an absolute path. Received ${String(options.root)}`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  return options;
}
