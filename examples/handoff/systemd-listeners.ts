// handoffd under socket activation: the plain and TLS listeners systemd
// passed (handoffd.socket), used instead of binding --port and --tls-port.
import { listenFds, type InheritedListener } from 'privsep';

const PLAIN_NAMES = new Set(['http', 'plain']);
const TLS_NAMES = new Set(['https', 'tls']);

/**
 * The plain and TLS listeners systemd passed, named as the workers expect
 * ('plain', 'tls'), or null when it passed none. Matched by
 * FileDescriptorName= (http or plain, https or tls); otherwise by order:
 * the first is plain, the second TLS. Takes LISTEN_* out of the environment.
 * @throws Error saying what systemd passed when it is not two sockets that can be told apart
 */
export function systemdListeners(): [InheritedListener, InheritedListener] | null {
  const passed = listenFds();
  if (passed.length === 0) return null;
  const names = passed.map((l) => l.name).join(', ');
  const plain = passed.filter((l) => PLAIN_NAMES.has(l.name));
  const tls = passed.filter((l) => TLS_NAMES.has(l.name));
  let chosen = plain.length === 1 && tls.length === 1 ? [plain[0]!, tls[0]!] : null;
  if (chosen === null && plain.length === 0 && tls.length === 0 && passed.length === 2) chosen = passed;
  if (passed.length !== 2 || chosen === null) {
    for (const listener of passed) listener.handle.close();
    throw new Error(`systemd passed ${passed.length} sockets (${names}); handoffd needs two, ` +
      'named http and https (FileDescriptorName=), or unnamed in that order');
  }
  return [{ handle: chosen[0]!.handle, name: 'plain' }, { handle: chosen[1]!.handle, name: 'tls' }];
}
