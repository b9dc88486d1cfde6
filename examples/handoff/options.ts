// handoffd's command line: parsed into a typed object, with a clear error
// for anything it does not know.

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
}

export const usage = `usage: handoffd [options]
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

function integer(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${name} needs a whole number from ${min} to ${max}, not ${JSON.stringify(text ?? '')}`);
  }
  return value;
}

/** @throws Error naming the bad option */
export function parseOptions(argv: string[]): HandoffdOptions | 'help' | 'version' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  if (argv.includes('--version')) return 'version';
  const options: HandoffdOptions = {
    host: '127.0.0.1', port: 8080, tlsPort: 8443, workers: 2, user: 'nobody', policy: 'round-robin',
    cert: null, key: null, stateDir: '/var/lib/handoffd',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const take = (): string => {
      if (value === undefined) throw new Error(`${flag} needs a value`);
      i++;
      return value;
    };
    switch (flag) {
      case '--host': options.host = take(); break;
      case '--port': options.port = integer(flag, take(), 0, 65535); break;
      case '--tls-port': options.tlsPort = integer(flag, take(), 0, 65535); break;
      case '--workers': options.workers = integer(flag, take(), 1, 256); break;
      case '--user': options.user = take(); break;
      case '--cert': options.cert = take(); break;
      case '--key': options.key = take(); break;
      case '--state-dir': options.stateDir = take(); break;
      case '--policy': {
        const policy = take();
        if (policy !== 'round-robin' && policy !== 'least-connections') throw new Error(`--policy must be round-robin or least-connections, not "${policy}"`);
        options.policy = policy;
        break;
      }
      default: throw new Error(`unknown option "${flag}"`);
    }
  }
  if ((options.cert === null) !== (options.key === null)) throw new Error('--cert and --key go together');
  return options;
}
