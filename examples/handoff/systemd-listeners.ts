// handoffd under socket activation: the plain and TLS listeners systemd
// passed (handoffd.socket), used instead of binding --port and --tls-port.
import { listenFds, type InheritedListener, type SystemdListener } from 'privsep';

const PLAIN_NAMES = new Set(['http', 'plain']);
const TLS_NAMES = new Set(['https', 'tls']);

/**
 * The plain and TLS listeners systemd passed, named as the workers expect
 * ('plain', 'tls'), or null when it passed none. Matched by
 * FileDescriptorName= (http or plain, https or tls); when neither name is
 * used, by order: the first is plain, the second TLS. Takes LISTEN_* out of the environment.
 * @throws Error saying what systemd passed when it is not two sockets that can be told apart
 */
export function systemdListeners(): [InheritedListener, InheritedListener] | null {
  const passed = listenFds();
  return passed.length === 0 ? null : plainAndTls(passed);
}

/** Which of the sockets passed is the plain one and which the TLS one; on an error every one is closed. */
export function plainAndTls(passed: SystemdListener[]): [InheritedListener, InheritedListener] {
  const names = passed.map((l) => l.name).join(', ');
  const plain = passed.filter((l) => PLAIN_NAMES.has(l.name));
  const tls = passed.filter((l) => TLS_NAMES.has(l.name));
  const byName = plain.length === 1 && tls.length === 1 ? [plain[0]!, tls[0]!] : null;
  const byOrder = plain.length === 0 && tls.length === 0 ? passed : null;
  const chosen = passed.length === 2 ? byName ?? byOrder : null;
  if (chosen === null) {
    for (const listener of passed) listener.handle.close();
    throw new Error(`systemd passed ${passed.length} socket${passed.length === 1 ? '' : 's'} (${names}); handoffd needs two: ` +
      'named http and https (FileDescriptorName=), or with other names in the order plain, TLS');
  }
  return [{ handle: chosen[0]!.handle, name: 'plain' }, { handle: chosen[1]!.handle, name: 'tls' }];
}
