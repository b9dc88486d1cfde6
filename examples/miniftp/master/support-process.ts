// The helper and the TLS gate as the master starts and sees them: each
// started as root (it loads its code and then takes its ids itself, so that
// it runs from a checkout that only root can reach), with /dev/null as stdin
// and stdout, a socket the master reads as stderr, and its control channel
// at fd 3. Privileged side.
import { refusal, socketPair, spawnWithCredentials, type CredentialedProcess, type FdHandle } from 'privsep';
import { rootIdsReason } from '../root-ids.js';
import { ChildStderr } from './child-stderr.js';
import { NODE_FLAGS, NULL_STDIN_STDOUT } from './worker-process.js';

/** The helper or the TLS gate, as the master sees it. */
export interface SupportProcess<B> {
  process: CredentialedProcess;
  broker: Promise<B>;
  /** The control channel once configured (only then is it pinged). */
  connected: B | null;
  stderr: ChildStderr;
}

/**
 * Spawns `script` as `name` (for messages), with `nodeFlags` besides the
 * workers' and `env`, in an empty network namespace when asked; `connect`
 * speaks its control table and configures it.
 * @throws EPERM for ids of root (the last guard: start-up checks refuse them first); the spawn's errors
 */
export function spawnSupport<B extends { close(): void }>(
  name: string, script: string, nodeFlags: readonly string[], env: Record<string, string>, ids: { uid: number; gid: number },
  newNetworkNamespace: boolean, connect: (channel: FdHandle) => Promise<B>,
): SupportProcess<B> {
  // The last guard, as for workers: start-up checks refuse these first.
  const rootIds = rootIdsReason(ids);
  if (rootIds !== null) throw refusal('EPERM', `refusing to start the ${name}: ${rootIds}`);
  const [mine, theirs] = socketPair();
  const stderr = new ChildStderr();
  let proc: CredentialedProcess;
  try {
    proc = spawnWithCredentials(process.execPath, [...NODE_FLAGS, ...nodeFlags, script], {
      fds: { ...NULL_STDIN_STDOUT, 2: stderr.childEnd, 3: theirs },
      env: { PATH: '/usr/bin:/bin', ...env },
      cwd: '/',
      ...(newNetworkNamespace ? { newNetworkNamespace } : {}),
    });
  } catch (err) {
    mine.close();
    stderr.close();
    throw err;
  } finally {
    theirs.close();
  }
  stderr.childEnd.close();
  stderr.forward(`${name} ${proc.pid}`);
  const broker = connect(mine);
  const child: SupportProcess<B> = { process: proc, broker, connected: null, stderr };
  broker.then((b) => (child.connected = b), () => {});
  void proc.exited.then(() => {
    child.connected = null;
    void broker.then((b) => b.close(), () => {});
  });
  return child;
}
