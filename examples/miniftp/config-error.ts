// The error of miniftp's configuration files (the main config and the user
// database): it names the file and line, so the administrator can fix it.
// Runs in the master, before any privilege is dropped; pure.

/**
 * A configuration file that cannot be used. The message reads
 * `FILE:LINE: what is wrong` (`FILE: what is wrong` for line 0, a setting
 * no line gave); `file`, `line` and, when one is concerned, `key` are also
 * fields. `code` is always 'ERR_MINIFTP_CONFIG'.
 */
export class ConfigError extends Error {
  readonly code = 'ERR_MINIFTP_CONFIG';
  readonly file: string;
  readonly line: number;
  readonly key: string | undefined;
  constructor(file: string, line: number, message: string, key?: string) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.key = key;
  }
}
