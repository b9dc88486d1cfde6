// Where miniftp accepts control connections: the listener a previous
// generation handed over when it is bound where the configuration says
// (listen_port=0 takes any port) or came from systemd, else a new one; a handed-over listener that
// does not match is closed (the previous generation stops accepting on it
// all the same, once this one is ready).
import { localAddress, type InheritedListener, type ListenerSpec } from 'privsep';
import type { MiniftpConfig } from '../config-table.js';
import { SYSTEMD_LISTENER_NAME } from '../systemd-listener.js';

export function controlListener(config: MiniftpConfig, inherited: InheritedListener[] | null): ListenerSpec[] {
  const fresh: ListenerSpec = { host: config.listen_address, port: config.listen_port, ipv6Only: !config.listen_ipv6 || config.listen_address !== '::' };
  let chosen: ListenerSpec | null = null;
  for (const listener of inherited ?? []) {
    // systemd's, wherever the socket unit bound it; the Acceptor checks it is a TCP listener.
    if (!chosen && listener.name === SYSTEMD_LISTENER_NAME) {
      chosen = listener;
      continue;
    }
    let bound;
    try {
      bound = localAddress(listener.handle);
    } catch {
      listener.handle.close();
      continue;
    }
    const configured = bound.address === config.listen_address && (config.listen_port === 0 || bound.port === config.listen_port);
    if (!chosen && configured) {
      chosen = listener;
    } else {
      console.error(`miniftp: the listener handed over on ${bound.address} port ${bound.port} is not listen_address=${config.listen_address} listen_port=${config.listen_port}; closed`);
      listener.handle.close();
    }
  }
  return [chosen ?? fresh];
}
