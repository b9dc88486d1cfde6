#!/usr/bin/env node
// handoffd: a root master that owns a plain and a TLS port, accepts every
// connection, and hands it to an unprivileged worker process that serves it
// (TLS ends in the worker). SIGHUP replaces the workers; SIGTERM drains.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HandoffMaster, getUser, inheritedListeners } from 'privsep';
import { packageVersion } from '../cli/version.js';
import { ensureSelfSigned } from './certificate.js';
import { parseOptions, usage } from './options.js';
import { systemdListeners } from './systemd-listeners.js';
import { ServiceState } from '../cli/service-state.js';
import { upgradeOnSigusr2 } from './upgrade.js';

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
  const user = await getUser(options.user);
  if (!user) {
    console.error(`handoffd: no such user "${options.user}"`);
    process.exit(2);
  }
  const files = options.cert && options.key ? { cert: options.cert, key: options.key } : ensureSelfSigned(options.stateDir);
  // Started by SIGUSR2 to the running generation: its listeners.
  const handedOver = await inheritedListeners().catch((err: Error) => {
    console.error(`handoffd: cannot take the listeners over: ${err.message}`);
    process.exit(2);
  });
  const keyFd = fs.openSync(files.key, 'r');
  const certFd = fs.openSync(files.cert, 'r');
  const master = new HandoffMaster({
    listen: inherited ?? handedOver?.listeners ?? [
      { host: options.host, port: options.port, name: 'plain' },
      { host: options.host, port: options.tlsPort, name: 'tls' },
    ],
    worker: {
      // Started as root, a worker loads its code and then takes these ids
      // itself, so that handoffd runs from a directory only root can reach.
      args: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js'), String(user.uid), String(user.gid)],
      fds: [keyFd, certFd],
      cwd: '/',
      // Nothing of root's environment: the worker needs none of it.
      env: { PATH: '/usr/bin:/bin' },
    },
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
  process.on('SIGHUP', () => {
    master.reload().then(
      () => console.log(`handoffd: reloaded; workers ${master.workers().filter((w) => !w.draining).map((w) => w.pid).join(', ')}`),
      (err: Error) => console.error(`handoffd: reload failed: ${err.message}`),
    );
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
