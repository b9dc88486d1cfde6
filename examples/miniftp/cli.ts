// miniftp's command line: `miniftp [CONFIG] [-oKEY=VALUE ...]`, --help and
// --version. Pure: the caller reads the file and reports errors.

export type MiniftpCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; configFile: string | null; overrides: string[]; upgrade: boolean };

export const usage = `usage: miniftp [CONFIG] [-oKEY=VALUE ...]
  CONFIG          a vsftpd-style configuration file (none: the built-in defaults)
  -oKEY=VALUE     a setting given on the command line, applied after the file
  --upgrade       take the listener from the master running with this
                  configuration (over its upgrade_socket), which then ends
                  once its sessions have
  -h, --help      this text
  -v, --version   the version
Starts as root: it listens, checks passwords and starts each session as its user.`;

/** @throws Error naming the argument that is wrong */
export function parseCommandLine(argv: string[]): MiniftpCommand {
  let configFile: string | null = null;
  const overrides: string[] = [];
  let upgrade = false;
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-v' || arg === '--version') return { kind: 'version' };
  }
  for (const arg of argv) {
    if (arg.startsWith('-o')) {
      if (arg.length === 2) throw new Error('-o needs KEY=VALUE right after it, as in -olisten_port=2121');
      overrides.push(arg.slice(2));
    } else if (arg === '--upgrade') {
      upgrade = true;
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option "${arg}"`);
    } else if (configFile !== null) {
      throw new Error(`one configuration file only: "${configFile}", then "${arg}"`);
    } else {
      configFile = arg;
    }
  }
  return { kind: 'run', configFile, overrides, upgrade };
}
