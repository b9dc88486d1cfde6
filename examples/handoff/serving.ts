// What handoffd's master serves with, made from its options: the listeners,
// and how to start a worker (its user's ids, the TLS key and certificate as
// open fds). Made at start and again at each reload. Runs as root.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getUser, type ListenAddress, type WorkerCommand } from 'privsep';
import { ensureSelfSigned } from './certificate.js';
import type { HandoffdOptions } from './options.js';

export interface Serving {
  options: HandoffdOptions;
  listen: ListenAddress[];
  worker: WorkerCommand;
  /** Closes the key and certificate fds (the workers started with them have their own). */
  close(): void;
}

const workerMain = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

/** @throws Error for a user that does not exist, a key or certificate that cannot be opened */
export async function serving(options: HandoffdOptions): Promise<Serving> {
  const user = await getUser(options.user);
  if (!user) throw new Error(`no such user "${options.user}"`);
  const files = options.cert && options.key ? { cert: options.cert, key: options.key } : ensureSelfSigned(options.stateDir);
  const keyFd = fs.openSync(files.key, 'r');
  let certFd: number;
  try {
    certFd = fs.openSync(files.cert, 'r');
  } catch (err) {
    fs.closeSync(keyFd);
    throw err;
  }
  return {
    options,
    listen: [
      { host: options.host, port: options.port, name: 'plain' },
      { host: options.host, port: options.tlsPort, name: 'tls' },
    ],
    worker: {
      // Started as root, a worker loads its code and then takes these ids
      // itself, so that handoffd runs from a directory only root can reach.
      args: [workerMain, String(user.uid), String(user.gid)],
      fds: [keyFd, certFd],
      cwd: '/',
      // Nothing of root's environment: the worker needs none of it.
      env: { PATH: '/usr/bin:/bin' },
    },
    close() {
      fs.closeSync(keyFd);
      fs.closeSync(certFd);
    },
  };
}
