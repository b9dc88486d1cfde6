#!/usr/bin/env node
// miniftp: a vsftpd-style FTP server. `miniftp [CONFIG]` reads a vsftpd-style
// configuration file (none: the built-in defaults); it must start as root.
import fs from 'node:fs';
import { ConfigError } from './config-error.js';
import { defaultConfig, parseConfig } from './config.js';
import type { MiniftpConfig } from './config-table.js';
import { Master } from './master/master.js';
import { parseUserDb, type UserDb } from './user-db.js';

function fail(message: string): never {
  console.error(`miniftp: ${message}`);
  process.exit(2);
}

function readConfig(argv: string[]): MiniftpConfig {
  const overrides = argv.filter((a) => a.startsWith('-o'));
  const files = argv.filter((a) => !a.startsWith('-o'));
  if (files.length > 1) fail('usage: miniftp [CONFIG] [-oKEY=VALUE ...]');
  let config = defaultConfig();
  if (files[0] !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(files[0], 'utf8');
    } catch (err) {
      fail(`cannot read ${files[0]}: ${(err as Error).message}`);
    }
    config = parseConfig(text, files[0], config);
  }
  // Like vsftpd's -o: settings given on the command line, after the file.
  for (const [i, option] of overrides.entries()) config = parseConfig(option.slice(2), `command line option ${i + 1}`, config);
  return config;
}

let config: MiniftpConfig;
let userDb: UserDb | null = null;
try {
  config = readConfig(process.argv.slice(2));
  if (config.user_db) userDb = parseUserDb(fs.readFileSync(config.user_db, 'utf8'), config.user_db);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
if (process.getuid!() !== 0) fail('must be started as root (it listens, checks passwords and starts each session as its user)');

const master = new Master({ config, userDb });
try {
  await master.start();
} catch (err) {
  fail(`cannot start: ${(err as Error).message}`);
}
const { helper, prelogin } = master.processes();
console.log(`miniftp: listening on ${config.listen_address}:${master.port} (helper ${helper}, pre-login worker ${prelogin})`);

const stop = (): void => {
  void master.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// One JSON line on stderr with the memory of every process (a debugging aid;
// numbers after a forced collection when started with node --expose-gc).
process.on('SIGUSR2', () => {
  void master.stats().then((stats) => process.stderr.write(`${JSON.stringify({ miniftpStats: stats, time: new Date() })}\n`));
});
