#!/usr/bin/env node
// miniftp: a vsftpd-style FTP server. `miniftp [CONFIG]` reads a vsftpd-style
// configuration file (none: the built-in defaults); it must start as root.
import { packageVersion } from '../cli/version.js';
import { parseCommandLine, usage } from './cli.js';
import { ConfigError } from './config-error.js';
import { loadConfig, type LoadedConfig } from './load-config.js';
import { Master } from './master/master.js';
import { SYSTEMD_LISTENER_NAME, systemdControlListener } from './systemd-listener.js';
import { workerBundled } from './master/worker-script.js';
import { ServiceState } from '../cli/service-state.js';
import { holdUpgradesWhileStarting, offerUpgrades, takeListener } from './upgrade.js';

function fail(message: string): never {
  console.error(`miniftp: ${message}`);
  process.exit(2);
}

let command;
try {
  command = parseCommandLine(process.argv.slice(2));
} catch (err) {
  fail(`${(err as Error).message}\n${usage}`);
}
if (command.kind === 'help') {
  console.log(usage);
  process.exit(0);
}
if (command.kind === 'version') {
  console.log(packageVersion());
  process.exit(0);
}
// Socket activation: taken first, before any child could see LISTEN_*.
let systemdListener;
try {
  systemdListener = systemdControlListener();
} catch (err) {
  fail((err as Error).message);
}
const service = new ServiceState('miniftp');
holdUpgradesWhileStarting();

let loaded: LoadedConfig;
try {
  loaded = await loadConfig(command.configFile, command.overrides);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
if (process.getuid!() !== 0) fail('must be started as root (it listens, checks passwords and starts each session as its user)');
const { configFile, overrides } = command;
const config = loaded.config;

// An upgrade: the listener of the generation running now (see upgrade.ts).
const handedOver = await takeListener(config, command.upgrade).catch((err: Error) => fail(`cannot take the listener over: ${err.message}`));

let master: Master;
try {
  master = new Master({ ...loaded, load: () => loadConfig(configFile, overrides), inherited: handedOver?.listeners ?? (systemdListener ? [systemdListener] : null) });
} catch (err) {
  fail(err instanceof ConfigError ? err.message : `cannot open the log: ${(err as Error).message}`);
}
try {
  await master.start();
} catch (err) {
  // What a child printed before it died is above, labelled with its pid.
  await master.stop().catch(() => {});
  await handedOver?.fail(`cannot start: ${(err as Error).message}`);
  fail(`cannot start: ${(err as Error).message}`);
}
if (handedOver) {
  await handedOver.ready();
  console.log(`miniftp: pid ${process.pid} took the listener from pid ${handedOver.from}`);
}
await offerUpgrades(master, config, service);
const { helper, gate, prelogin } = master.processes();
console.log(`miniftp: listening on ${master.host}:${master.port}${master.listeners()[0]?.name === SYSTEMD_LISTENER_NAME ? ' (from systemd)' : ''} (helper ${helper}, ${gate === null ? '' : `TLS gate ${gate}, `}pre-login worker ${prelogin})`);

if (!workerBundled) console.error('miniftp: the user workers run from their modules (about 3 MiB more each): the worker bundle is missing or older than its sources; `npm run build` makes it again');
service.ready(`listening on ${master.host}:${master.port}`);

const stop = (): void => {
  service.stopping();
  void master.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// SIGHUP: the configuration again (systemctl reload); systemd hears RELOADING=1, then READY=1.
process.on('SIGHUP', () => {
  service.reloading();
  void master.reload().then(() => service.ready(`listening on ${master.host}:${master.port}`));
});
// One JSON line on stderr with the memory of every process (a debugging aid;
// numbers after a forced collection when started with node --expose-gc).
// A listener of its own also keeps SIGUSR1 from opening Node's inspector.
process.on('SIGUSR1', () => {
  void master.stats().then((stats) => process.stderr.write(`${JSON.stringify({ miniftpStats: stats, time: new Date() })}\n`));
});
