// handoffd's upgrade: SIGUSR2 starts handoffd again from disk (same
// arguments); the new generation takes both listeners, and this one stops
// accepting, lets its workers finish their connections, and exits. A new
// generation that fails leaves this one serving (see docs/handoff.md, "Upgrades").
import type { HandoffMaster } from 'privsep';

/**
 * Installed at the start: until `master()` gives the running master, SIGUSR2
 * is refused (not Node's default, which ends the process). `handedOver` runs
 * with the new generation's pid once it accepts.
 */
export function upgradeOnSigusr2(master: () => HandoffMaster | null, handedOver: (pid: number) => void): void {
  process.on('SIGUSR2', () => {
    const running = master();
    if (running) upgrade(running, handedOver);
    else console.error('handoffd: SIGUSR2 refused: this generation is still starting');
  });
}

function upgrade(master: HandoffMaster, handedOver: (pid: number) => void): void {
  console.log('handoffd: SIGUSR2: starting a new generation');
  master.upgrade().then(
    async (pid) => {
      handedOver(pid);
      console.log(`handoffd: pid ${pid} accepts on the listeners now; pid ${process.pid} drains its workers`);
      await master.shutdown();
      console.log(`handoffd: pid ${process.pid}: the last worker of this generation has exited`);
      process.exit(0);
    },
    (err: Error & { code?: string }) => console.error(err.code === 'ERR_PRIVSEP_HANDOVER_BUSY'
      ? `handoffd: upgrade refused: ${err.message}`
      : `handoffd: upgrade failed, this generation goes on serving: ${err.message}`),
  );
}
