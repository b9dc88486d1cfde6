// handoffd's options: from the command line and, with --config, from a file
// of the same options as key=value lines (the command line wins). Parsed
// into a typed object, with a clear error for anything it does not know:
// the option's name, and the file and line for one from the file.
import fs from 'node:fs';

export interface HandoffdOptions {
  host: string;
  port: number;
  tlsPort: number;
  workers: number;
  user: string;
  policy: 'round-robin' | 'least-connections';
  cert: string | null;
  key: string | null;
  stateDir: string;
  /** --config: the file read at start and again at each SIGHUP (null: none). */
  config: string | null;
}

export const usage = `usage: handoffd [options]
  --config FILE      read these options from FILE, one key=value a line
                     (host=..., tls-port=..., '#' comments); the command
                     line overrides it; SIGHUP reads it again
  --host ADDR        address to listen on (default 127.0.0.1)
  --port N           plain TCP port (default 8080)
  --tls-port N       TLS port (default 8443)
  --workers N        worker processes (default 2)
  --user NAME        user the workers run as (default nobody)
  --policy P         round-robin or least-connections (default round-robin)
  --cert FILE        TLS certificate (PEM); with --key
  --key FILE         TLS private key (PEM); with --cert
  --state-dir DIR    where a self-signed certificate is made at first start
                     when no --cert is given (default /var/lib/handoffd)
  -h, --help         this text
  --version          the version`;

// The options a file may set, by their names without the dashes.
const FILE_KEYS = ['host', 'port', 'tls-port', 'workers', 'user', 'policy', 'cert', 'key', 'state-dir'] as const;

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${name} needs a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}

function defaults(): HandoffdOptions {
  return {
    host: '127.0.0.1', port: 8080, tlsPort: 8443, workers: 2, user: 'nobody', policy: 'round-robin',
    cert: null, key: null, stateDir: '/var/lib/handoffd', config: null,
  };
}

/** Sets option `key` (a FILE_KEYS name) from its text; `name` is how errors call it. @returns false for a key it does not know */
function set(options: HandoffdOptions, key: string, name: string, value: string): boolean {
  switch (key) {
    case 'host': options.host = value; break;
    case 'port': options.port = integer(name, value, 0, 65535); break;
    case 'tls-port': options.tlsPort = integer(name, value, 0, 65535); break;
    case 'workers': options.workers = integer(name, value, 1, 256); break;
    case 'user': options.user = value; break;
    case 'cert': options.cert = value; break;
    case 'key': options.key = value; break;
    case 'state-dir': options.stateDir = value; break;
    case 'policy':
      if (value !== 'round-robin' && value !== 'least-connections') throw new Error(`${name} must be round-robin or least-connections, not "${value}"`);
      options.policy = value;
      break;
    default: return false;
  }
  return true;
}

/** The command line as given: --config, and the other options in order. @throws Error naming the bad option */
function commandLine(argv: string[]): { config: string | null; settings: Array<[string, string]> } {
  let config: string | null = null;
  const settings: Array<[string, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const key = flag.startsWith('--') ? flag.slice(2) : '';
    if (flag !== '--config' && !(FILE_KEYS as readonly string[]).includes(key)) throw new Error(`unknown option "${flag}"`);
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--config') config = value;
    else settings.push([key, value]);
  }
  return { config, settings };
}

/**
 * Applies a configuration file's text to `options`: key=value lines, blank
 * lines and '#' comments skipped, spaces around the key and value trimmed.
 * @throws Error reading `FILE:LINE: what is wrong`
 */
export function applyConfigFile(options: HandoffdOptions, text: string, file: string): void {
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${file}:${index + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${where}: expected key=value, got ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).trim();
    try {
      if (!set(options, key, key, line.slice(eq + 1).trim())) throw new Error(`unknown option "${key}" (one of ${FILE_KEYS.join(', ')})`);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }
}

/**
 * The options: defaults, then the --config file (read now), then the rest of
 * the command line.
 * @throws Error naming the bad option (with the file and line for one from the file), or the file that cannot be read
 */
export function parseOptions(argv: string[]): HandoffdOptions | 'help' | 'version' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  if (argv.includes('--version')) return 'version';
  const { config, settings } = commandLine(argv);
  const options = defaults();
  options.config = config;
  if (config !== null) {
    let text: string;
    try {
      text = fs.readFileSync(config, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    applyConfigFile(options, text, config);
  }
  for (const [key, value] of settings) set(options, key, `--${key}`, value);
  if ((options.cert === null) !== (options.key === null)) throw new Error(`--cert and --key go together${config === null ? '' : ` (in ${config} too)`}`);
  return options;
}
