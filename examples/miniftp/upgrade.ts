// Upgrades without a lost connection: a new generation of miniftp (the
// program and its configuration as they are on disk now) takes the listener
// from the running master, which stops accepting once the new one accepts
// and ends when its last session has (see docs/miniftp-design.md, "Upgrades").
// SIGUSR2 makes the running master start the new generation itself;
// `miniftp --upgrade` is one started by hand that connects to its upgrade_socket.
import { ListenerHandover, connectListenerHandover, inheritedListeners, type ReceivedListeners } from 'privsep';
import type { MiniftpConfig } from './config-table.js';
import type { Master } from './master/master.js';
import type { ServiceState } from '../cli/service-state.js';

// SIGUSR2 before the server is up would end it (Node's default): until
// offerUpgrades() it is refused with a log line.
function refuseWhileStarting(): void {
  console.error('miniftp: SIGUSR2 refused: this generation is still starting');
}

/** From the start of the process: SIGUSR2 does not end it while it starts. */
export function holdUpgradesWhileStarting(): void {
  process.on('SIGUSR2', refuseWhileStarting);
}

/**
 * The listener handed to this process: by the generation that started it
 * (SIGUSR2), or, with --upgrade, by the master listening on upgrade_socket.
 * Null for a plain start. @throws Error saying why none came
 */
export async function takeListener(config: MiniftpConfig, upgrade: boolean): Promise<ReceivedListeners | null> {
  const inherited = await inheritedListeners();
  if (inherited || !upgrade) return inherited;
  if (!config.upgrade_socket) throw new Error('--upgrade needs upgrade_socket, the socket the running master hands its listener over on');
  return connectListenerHandover(config.upgrade_socket);
}

/** After start: SIGUSR2, and upgrade_socket when set, hand the listener to a new generation; this one then drains and exits. */
export async function offerUpgrades(master: Master, config: MiniftpConfig, service: ServiceState): Promise<void> {
  const handover = new ListenerHandover({
    listeners: () => master.listeners(),
    release: () => void drainAndExit(master, config),
  });
  handover.on('failed', (err: Error & { code?: string }) => {
    console.error(err.code === 'ERR_PRIVSEP_HANDOVER_BUSY'
      ? `miniftp: upgrade refused: ${err.message}`
      : `miniftp: upgrade failed, this generation goes on serving: ${err.message}`);
  });
  handover.on('handed-over', (pid) => {
    service.handedOver(pid);
    console.log(`miniftp: pid ${pid} accepts on the listener now; pid ${process.pid} ends once its ${master.sessionCount} sessions have`);
  });
  process.off('SIGUSR2', refuseWhileStarting);
  process.on('SIGUSR2', () => {
    console.log(`miniftp: SIGUSR2: starting a new generation (${process.argv.slice(1).join(' ')})`);
    handover.spawn().catch(() => {}); // reported by 'failed'
  });
  if (config.upgrade_socket) {
    // Removed when this master exits without handing over (then the new generation owns the path).
    process.once('exit', () => handover.close());
    await handover.listen(config.upgrade_socket).catch((err: Error) => {
      console.error(`miniftp: upgrade_socket=${config.upgrade_socket}: ${err.message}; only SIGUSR2 starts an upgrade`);
    });
  }
}

async function drainAndExit(master: Master, config: MiniftpConfig): Promise<void> {
  await master.drain(config.upgrade_drain_timeout * 1000);
  const left = master.sessionCount;
  console.log(left === 0
    ? `miniftp: pid ${process.pid}: the last session of this generation has ended; exiting`
    : `miniftp: pid ${process.pid}: upgrade_drain_timeout (${config.upgrade_drain_timeout} s) has passed; closing ${left} sessions and exiting`);
  await master.stop();
  process.exit(0);
}
