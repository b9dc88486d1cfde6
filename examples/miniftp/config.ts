// miniftp's configuration file: vsftpd-style `key=value` lines read against
// the one table of settings, into a typed, frozen config. Runs in the master
// before it starts anything; pure (the caller reads the file).
import { addressFamily } from '../ftp/index.js';
import { ConfigError } from './config-error.js';
import { CONFIG_TABLE, type ConfigKey, type MiniftpConfig, type Setting } from './config-table.js';

const TRUE_WORDS = new Set(['YES', 'TRUE', '1']);
const FALSE_WORDS = new Set(['NO', 'FALSE', '0']);

/** Where a setting's value comes from: a file (or command line option) and line. */
export interface SettingOrigin {
  readonly file: string;
  readonly line: number;
}

// The lines that set each key of a parsed configuration, for checks that
// need the system (user lookups) and so run after parsing.
const origins = new WeakMap<MiniftpConfig, ReadonlyMap<ConfigKey, SettingOrigin>>();

/** The configuration with every setting at its default, frozen. */
export function defaultConfig(): MiniftpConfig {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(CONFIG_TABLE)) config[key] = setting.default;
  return Object.freeze(config) as MiniftpConfig;
}

/** True when `key` names a setting. */
export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_TABLE, key);
}

/** Why `text` is not a value of `setting`, or the value. */
function parseValue(setting: Setting, text: string): { value: boolean | number | string } | { error: string } {
  switch (setting.type) {
    case 'bool': {
      const word = text.toUpperCase();
      if (TRUE_WORDS.has(word)) return { value: true };
      if (FALSE_WORDS.has(word)) return { value: false };
      return { error: 'must be YES or NO (or TRUE/FALSE, 1/0)' };
    }
    case 'int': {
      const range = `${setting.min}..${setting.max}`;
      if (/^0\d+$/.test(text)) return { error: `must be a decimal integer ${range}; a leading 0 would make vsftpd read it as octal` };
      if (!/^\d{1,10}$/.test(text)) return { error: `must be a decimal integer ${range}` };
      const value = Number(text);
      if (value < setting.min || value > setting.max) return { error: `must be a decimal integer ${range}` };
      return { value };
    }
    case 'octal': {
      const range = `0..0${setting.max.toString(8)}`;
      if (/^[1-7][0-7]*$/.test(text)) return { error: `must be octal, written with a leading 0 (as 0${text}); vsftpd would read ${text} as decimal` };
      if (!/^0[0-7]{0,6}$/.test(text)) return { error: `must be an octal number ${range}, as 022` };
      const value = parseInt(text, 8);
      if (value > setting.max) return { error: `must be an octal number ${range}` };
      return { value };
    }
    case 'string': {
      const why = text.includes('\0') ? 'must not contain NUL bytes' : setting.validate?.(text);
      return why === undefined ? { value: text } : { error: why };
    }
  }
}

function badValue(file: string, line: number, key: string, text: string, why: string): ConfigError {
  return new ConfigError(file, line, `bad value ${JSON.stringify(text)} for ${key}: ${why}`, key);
}

/**
 * Reads a vsftpd-style configuration text.
 *
 * One `key=value` per line; blank lines and lines starting with '#' are
 * skipped. Whitespace around the line, the key and the value is ignored
 * (vsftpd allows none: its `listen_port = 21` is the unknown setting
 * "listen_port ", so every file vsftpd accepts reads the same here). Keys are
 * case-sensitive; booleans are YES/NO, TRUE/FALSE or 1/0 in any case;
 * integers are decimal, and octal settings (umasks, modes) need their leading
 * 0 — the forms where vsftpd would read digits differently are refused. When
 * a key appears twice, the last line wins, as in vsftpd. After all lines:
 * pasv_min_port <= pasv_max_port, passive ports are 0 or >= 1024, and an
 * IPv4 listen_address does not go with listen_ipv6=YES (which otherwise
 * makes the default listen address ::1).
 *
 * @param text the file's contents
 * @param fileName the name used in error messages
 * @param base the settings to start from; default {@link defaultConfig}
 * @returns the configuration, frozen
 * @throws ConfigError (ERR_MINIFTP_CONFIG) `FILE:LINE: unknown setting "foo"`,
 *   `FILE:LINE: bad value "x" for listen_port: ...`, or `FILE:LINE: expected key=value ...`
 */
export function parseConfig(text: string, fileName: string, base: MiniftpConfig = defaultConfig()): MiniftpConfig {
  const config: Record<string, unknown> = { ...base };
  const lineOf = new Map<ConfigKey, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) throw new ConfigError(fileName, lineNumber, `expected key=value, got ${JSON.stringify(line.slice(0, 80))}`);
    const key = line.slice(0, eq).trim();
    const valueText = line.slice(eq + 1).trim();
    if (!isConfigKey(key)) throw new ConfigError(fileName, lineNumber, `unknown setting ${JSON.stringify(key)}`, key);
    if (valueText === '') throw badValue(fileName, lineNumber, key, valueText, 'a value is required');
    const parsed = parseValue(CONFIG_TABLE[key], valueText);
    if ('error' in parsed) throw badValue(fileName, lineNumber, key, valueText, parsed.error);
    config[key] = parsed.value;
    lineOf.set(key, lineNumber);
  }
  checkTogether(config as MiniftpConfig, fileName, lineOf, text.split('\n').length);
  if (config['listen_ipv6'] === true && !lineOf.has('listen_address') && config['listen_address'] === CONFIG_TABLE.listen_address.default) {
    config['listen_address'] = '::1';
  }
  const frozen = Object.freeze(config) as MiniftpConfig;
  const from = new Map(origins.get(base));
  for (const [key, line] of lineOf) from.set(key, { file: fileName, line });
  origins.set(frozen, from);
  return frozen;
}

/** The file and line that set `key` in a config parseConfig returned, or null for a default. */
export function settingOrigin(config: MiniftpConfig, key: ConfigKey): SettingOrigin | null {
  return origins.get(config)?.get(key) ?? null;
}

/**
 * A ConfigError for a value of `config` that the system refuses (a user
 * that does not exist, ...): it names the file and line that set `key`, or
 * says the value is the default.
 */
export function settingError(config: MiniftpConfig, key: ConfigKey, why: string): ConfigError {
  const origin = settingOrigin(config, key);
  const setting = config[key];
  const value = typeof setting === 'boolean' ? (setting ? 'YES' : 'NO') : String(setting);
  return origin === null
    ? new ConfigError('default settings', 0, `bad value ${JSON.stringify(value)} for ${key} (the default): ${why}`, key)
    : badValue(origin.file, origin.line, key, value, why);
}

function checkTogether(config: MiniftpConfig, file: string, lineOf: Map<ConfigKey, number>, lastLine: number): void {
  const where = (key: ConfigKey) => lineOf.get(key) ?? lastLine;
  for (const key of ['pasv_min_port', 'pasv_max_port'] as const) {
    const port = config[key];
    if (port !== 0 && port < 1024) throw badValue(file, where(key), key, String(port), 'must be 0 or 1024..65535');
  }
  const { pasv_min_port: min, pasv_max_port: max } = config;
  if (min !== 0 && max !== 0 && min > max) {
    const key = (lineOf.get('pasv_max_port') ?? 0) > (lineOf.get('pasv_min_port') ?? 0) ? 'pasv_max_port' : 'pasv_min_port';
    throw badValue(file, where(key), key, String(config[key]), `pasv_min_port (${min}) must not be above pasv_max_port (${max})`);
  }
  if (!config.listen && !config.listen_ipv6) {
    const key = lineOf.has('listen_ipv6') && !lineOf.has('listen') ? 'listen_ipv6' : 'listen';
    throw badValue(file, where(key), key, 'NO', 'listen and listen_ipv6 cannot both be NO: miniftp always runs standalone (it has no inetd mode)');
  }
  if (config.listen_ipv6 && lineOf.has('listen') && config.listen) {
    throw badValue(file, where('listen'), 'listen', 'YES', 'listen=YES and listen_ipv6=YES cannot both be set, as in vsftpd: one server listens on IPv4 or on IPv6 (:: takes IPv4 too)');
  }
  if (config.listen_ipv6 && lineOf.has('listen_address') && addressFamily(config.listen_address) === 'IPv4' && !config.listen_address.includes(':')) {
    throw badValue(file, where('listen_address'), 'listen_address', config.listen_address, 'listen_ipv6=YES needs an IPv6 address (:: for all)');
  }
  const ids = ['helper_uid', 'prelogin_uid', 'gate_uid'] as const;
  for (const [i, a] of ids.entries()) {
    for (const b of ids.slice(i + 1)) {
      if (config[a] !== config[b]) continue;
      const key = (lineOf.get(b) ?? 0) >= (lineOf.get(a) ?? 0) ? b : a;
      throw badValue(file, where(key), key, String(config[key]), `${a} and ${b} must differ: each role has an id of its own`);
    }
  }
  if (config.proxy_protocol_enable && config.proxy_protocol_trusted === null) {
    throw badValue(file, where('proxy_protocol_enable'), 'proxy_protocol_enable', 'YES', 'proxy_protocol_enable needs proxy_protocol_trusted (the load balancers\' addresses)');
  }
  if (config.implicit_ssl && !config.ssl_enable) {
    throw badValue(file, where('implicit_ssl'), 'implicit_ssl', 'YES', 'implicit_ssl needs ssl_enable=YES');
  }
  if (!config.ssl_tlsv1_2 && !config.ssl_tlsv1_3) {
    const key = (lineOf.get('ssl_tlsv1_3') ?? 0) >= (lineOf.get('ssl_tlsv1_2') ?? 0) ? 'ssl_tlsv1_3' : 'ssl_tlsv1_2';
    throw badValue(file, where(key), key, 'NO', 'ssl_tlsv1_2 and ssl_tlsv1_3 cannot both be NO: no TLS version would be left');
  }
}

/** Bytes per second a session may transfer each way; 0 means no limit. */
export interface RateLimits {
  upload: number;
  download: number;
}

/**
 * The rate limits of one session: in each direction, the smaller non-zero
 * of upload_max_rate/download_max_rate and vsftpd's per-class setting
 * (anon_max_rate for anonymous sessions, local_max_rate for the others).
 */
export function sessionRateLimits(config: MiniftpConfig, anonymous: boolean): RateLimits {
  const classRate = anonymous ? config.anon_max_rate : config.local_max_rate;
  const smaller = (a: number, b: number) => (a === 0 ? b : b === 0 ? a : Math.min(a, b));
  return { upload: smaller(config.upload_max_rate, classRate), download: smaller(config.download_max_rate, classRate) };
}
