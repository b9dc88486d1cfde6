// ftpfs's command line: the ftp://, ftpes:// or ftps:// URL (user, password,
// host, port, remote directory), the mountpoint and the options, parsed into a typed object
// with a clear error for anything it does not know. Pure.
import { parseArgs } from 'node:util';

/** The URL schemes ftpfs takes, as FileZilla and lftp name them, and what each means. */
const SCHEMES = {
  'ftp:': { secure: false, port: 21 },
  'ftpes:': { secure: 'explicit', port: 21 },
  'ftps:': { secure: 'implicit', port: 990 },
} as const;

export interface FtpfsOptions {
  /** ftp://: plain; ftpes://: AUTH TLS (explicit); ftps://: TLS from the first byte (implicit). */
  secure: false | 'explicit' | 'implicit';
  /** The file of the certificates to trust (PEM) instead of the system's. */
  caFile: string | null;
  /** Do not check the server's certificate. */
  insecure: boolean;
  host: string;
  port: number;
  user: string;
  password: string;
  /**
   * The remote directory as the URL names it: relative to the login
   * directory (`ftp://host/pub`), or absolute when it starts with %2F
   * (`ftp://host/%2Fsrv/ftp`, RFC 1738's way, as curl reads it).
   */
  remotePath: string;
  mountpoint: string;
  cacheDir: string | null;
  /** MiB of copies kept of files nobody has open. */
  cacheSizeMiB: number;
  /** Seconds an unmount waits for uploads still pending. */
  unmountWaitSeconds: number;
  dirTtlSeconds: number;
  readOnly: boolean;
  allowOther: boolean;
  connections: number;
  timeoutSeconds: number;
  dataMode: 'passive' | 'active';
  help: boolean;
  version: boolean;
}

export const usage = `usage: ftpfs ftp://[user[:password]@]host[:port][/path] MOUNTPOINT [options]
       ftpfs ftpes://...  FTP over TLS (AUTH TLS; port 21)
       ftpfs ftps://...   FTP over TLS from the first byte (implicit; port 990)
  --ca-file FILE       ftpes/ftps: trust the certificates in FILE (PEM) instead of
                       the system's; the server's name is checked either way
  --insecure           ftpes/ftps: do not check the server's certificate (anyone on
                       the path can then read and change everything)
  --cache-dir DIR      where copies of opened files are kept, in a directory per
                       server, user and remote directory that outlives the mount:
                       unchanged files are not downloaded again, and files not
                       uploaded yet are uploaded by the next mount
                       (default: $TMPDIR/ftpfs-UID)
  --cache-size MIB     copies of files nobody has open are removed, oldest first,
                       beyond this size, also between mounts (default 2048);
                       files not on the server yet are always kept
  --unmount-wait SECONDS  how long an unmount waits for uploads still failing
                       before it ends and leaves them to the next mount (default 10)
  --dir-ttl SECONDS    how long a directory listing stays fresh (default 10; 0: always list)
  --read-only          mount read-only
  --foreground         stay in the foreground (the default; ftpfs does not daemonize)
  --connections N      FTP control connections at most (default 4)
  --timeout SECONDS    bound on every FTP exchange (default 30)
  --active             active data connections (EPRT/PORT) instead of passive (EPSV/PASV)
  --allow-other        let other users into the mount (user_allow_other in /etc/fuse.conf)
  -h, --help           this text
  -V, --version        the version
The password may also come from the environment variable FTPFS_PASSWORD,
which keeps it out of the process list. Unmount with fusermount3 -u MOUNTPOINT,
or SIGINT/SIGTERM.`;

function number(name: string, text: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${JSON.stringify(text)}`);
  }
  return value;
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Error(`bad percent-encoding in the URL's ${what}`);
  }
}

/**
 * Parses ftpfs's arguments (without node and the script).
 * @param env the environment, for FTPFS_PASSWORD
 * @throws Error with a message for the user for anything wrong
 */
export function parseCli(args: string[], env: NodeJS.ProcessEnv = {}): FtpfsOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      'cache-dir': { type: 'string' },
      'cache-size': { type: 'string' },
      'unmount-wait': { type: 'string' },
      'dir-ttl': { type: 'string' },
      'read-only': { type: 'boolean' },
      foreground: { type: 'boolean', short: 'f' },
      connections: { type: 'string' },
      timeout: { type: 'string' },
      active: { type: 'boolean' },
      'allow-other': { type: 'boolean' },
      'ca-file': { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
  const base = {
    cacheDir: values['cache-dir'] ?? null,
    cacheSizeMiB: number('cache-size', values['cache-size'], 2048, 0, 2 ** 30, true),
    unmountWaitSeconds: number('unmount-wait', values['unmount-wait'], 10, 0, 86_400, false),
    dirTtlSeconds: number('dir-ttl', values['dir-ttl'], 10, 0, 86_400, false),
    readOnly: values['read-only'] ?? false,
    allowOther: values['allow-other'] ?? false,
    connections: number('connections', values.connections, 4, 1, 64, true),
    timeoutSeconds: number('timeout', values.timeout, 30, 1, 3600, false),
    dataMode: values.active ? 'active' as const : 'passive' as const,
    caFile: values['ca-file'] ?? null,
    insecure: values.insecure ?? false,
  };
  if (base.caFile !== null && base.insecure) throw new Error('--ca-file and --insecure exclude each other');
  if (values.help || values.version) {
    return { ...base, secure: false, host: '', port: 21, user: '', password: '', remotePath: '', mountpoint: '', help: values.help ?? false, version: !values.help };
  }
  if (positionals.length !== 2) throw new Error('expected two arguments: the ftp:// (ftpes://, ftps://) URL and the mountpoint');
  const [target, mountpoint] = positionals as [string, string];
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(target)}`);
  }
  const scheme = Object.hasOwn(SCHEMES, url.protocol) ? SCHEMES[url.protocol as keyof typeof SCHEMES] : null;
  if (scheme === null) throw new Error(`only ftp://, ftpes:// and ftps:// URLs are supported, not ${url.protocol}//`);
  if (url.search !== '' || url.hash !== '') throw new Error('the URL may not have a query or a fragment');
  if (scheme.secure === false && (base.caFile !== null || base.insecure)) {
    throw new Error(`${base.insecure ? '--insecure' : '--ca-file'} is for TLS: use an ftpes:// or ftps:// URL`);
  }
  // ftpes: and ftps: are not special schemes to the URL parser: their host keeps its case.
  const host = (url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname).toLowerCase();
  if (host === '') throw new Error('the URL names no host');
  const user = url.username === '' ? 'anonymous' : decode(url.username, 'user');
  const password = url.password !== '' ? decode(url.password, 'password') : env.FTPFS_PASSWORD ?? (user === 'anonymous' ? 'anonymous@' : '');
  const remotePath = decode(url.pathname.slice(1), 'path');
  if (remotePath.includes('\0')) throw new Error('the URL\'s path may not hold a NUL byte');
  return {
    ...base,
    secure: scheme.secure,
    host,
    port: url.port === '' ? scheme.port : Number(url.port),
    user,
    password,
    remotePath,
    mountpoint,
    help: false,
    version: false,
  };
}
