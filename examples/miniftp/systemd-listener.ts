// miniftp under socket activation: the control listener systemd passed
// (miniftp.socket), used instead of binding listen_address:listen_port.
import { listenFds, type InheritedListener } from 'privsep';

/**
 * The name the listener from systemd goes by, also when a later generation
 * takes it over (an upgrade): bound where systemd bound it, not where
 * listen_address and listen_port say, it is kept all the same.
 */
export const SYSTEMD_LISTENER_NAME = 'systemd';

/**
 * The one listener systemd passed, or null when it passed none (not
 * socket-activated). Takes LISTEN_* out of the environment either way.
 * @throws Error saying what systemd passed when it is more than one socket, or LISTEN_* are malformed
 */
export function systemdControlListener(): InheritedListener | null {
  const passed = listenFds();
  if (passed.length === 0) return null;
  if (passed.length > 1) {
    for (const listener of passed) listener.handle.close();
    throw new Error(`systemd passed ${passed.length} sockets (${passed.map((l) => l.name).join(', ')}); ` +
      'miniftp serves one control listener: give miniftp.socket one ListenStream=');
  }
  return { handle: passed[0]!.handle, name: SYSTEMD_LISTENER_NAME };
}
