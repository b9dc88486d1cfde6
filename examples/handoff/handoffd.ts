#!/usr/bin/env node
// handoffd: a root master that owns a plain and a TLS port, accepts every
// connection, and hands it to an unprivileged worker process that serves it
// (TLS ends in the worker). SIGHUP reads the options again (--config) and
// replaces the workers; SIGTERM drains.
import { HandoffMaster, inheritedListeners } from 'privsep';
import { packageVersion } from '../cli/version.js';
import { HandoffdReloader } from './config-reload.js';
import { parseOptions, usage } from './options.js';
import { systemdListeners } from './systemd-listeners.js';
import { ServiceState } from '../cli/service-state.js';
import { upgradeOnSigusr2 } from './upgrade.js';
import { serving, type Serving } from './serving.js';

// A worker's output line with every control and non-printable character
// escaped, so that it can neither end nor forge a line of this log.
function printable(line: string): string {
  return line.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\\]/gu, (c) => (c === '\\' ? '\\\\' : `\\u{${c.codePointAt(0)!.toString(16)}}`));
}

async function main(): Promise<void> {
  let running: HandoffMaster | null = null;
  let service: ServiceState | null = null;
  upgradeOnSigusr2(() => running, (pid) => service?.handedOver(pid));
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`handoffd: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(usage);
    process.exit(0);
  }
  if (options === 'version') {
    console.log(packageVersion());
    process.exit(0);
  }
  // Socket activation: taken first, before any child could see LISTEN_*.
  let inherited;
  try {
    inherited = systemdListeners();
  } catch (err) {
    console.error(`handoffd: ${(err as Error).message}`);
    process.exit(2);
  }
  service = new ServiceState('handoffd');
  if (process.getuid!() !== 0) {
    console.error('handoffd: must be started as root (it binds the ports and starts workers as another user)');
    process.exit(2);
  }
  let current: Serving;
  try {
    current = await serving(options);
  } catch (err) {
    console.error(`handoffd: ${(err as Error).message}`);
    process.exit(2);
  }
  // Started by SIGUSR2 to the running generation: its listeners.
  const handedOver = await inheritedListeners().catch((err: Error) => {
    console.error(`handoffd: cannot take the listeners over: ${err.message}`);
    process.exit(2);
  });
  const master = new HandoffMaster({
    listen: inherited ?? handedOver?.listeners ?? current.listen,
    worker: current.worker,
    workers: options.workers,
    policy: options.policy,
  });
  master.on('worker-exit', (pid, code, signal) => console.log(`handoffd: worker ${pid} exited (${signal ?? code})`));
  master.on('error', (err) => console.error(`handoffd: ${err.message}`));
  master.on('worker-unresponsive', (pid) => console.error(`handoffd: worker ${pid} stopped answering; replacing it`));
  master.on('worker-output', (pid, line) => console.error(`handoffd: worker ${pid}: ${printable(line)}`));
  await master.ready();
  if (handedOver) {
    await handedOver.ready();
    console.log(`handoffd: pid ${process.pid} took the listeners from pid ${handedOver.from}`);
  }
  running = master;
  const [plain, tls] = master.acceptor.sockets;
  console.log(`handoffd: listening on http://${plain!.host}:${plain!.port} and https://${tls!.host}:${tls!.port}${inherited ? ' (from systemd)' : ''}, ` +
    `${options.workers} workers as ${options.user} (${master.workers().map((w) => w.pid).join(', ')})`);
  service!.ready(`listening on ${plain!.host}:${plain!.port} and ${tls!.host}:${tls!.port}`);
  // SIGHUP: the options again (the --config file), new workers with them.
  const reloader = new HandoffdReloader(master, process.argv.slice(2), current, Boolean(inherited));
  process.on('SIGHUP', () => {
    service!.reloading();
    void reloader.reload().then(() => {
      const [p, t] = master.acceptor.sockets;
      service!.ready(`listening on ${p!.host}:${p!.port} and ${t!.host}:${t!.port}`);
    });
  });
  const stop = (): void => {
    console.log('handoffd: shutting down');
    service!.stopping();
    master.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
