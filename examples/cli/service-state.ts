// What a daemon tells systemd (Type=notify) about itself: READY=1 once it
// serves, WATCHDOG=1 while its event loop runs (when WatchdogSec= asks),
// STOPPING=1 when it begins to shut down. Outside systemd (no NOTIFY_SOCKET)
// each step does nothing. A failed notification is logged, never fatal:
// the daemon serves on.
import { notify, notifyReady, notifyReloading, notifyStopping, startWatchdog, type Watchdog } from 'privsep';

export class ServiceState {
  readonly #program: string;
  #watchdog: Watchdog | null = null;
  #handedOver = false;

  /** `program` prefixes the messages ("miniftp"). */
  constructor(program: string) {
    this.#program = program;
  }

  /** READY=1 (with MAINPID and `status`), then the watchdog's keep-alive if systemd wants one. */
  ready(status: string): void {
    this.#tell('READY=1', () => notifyReady(status));
    this.#tell('the watchdog', () => {
      this.#watchdog ??= startWatchdog((err) => this.#report('WATCHDOG=1', err));
    });
  }

  /** RELOADING=1 (SIGHUP): ready() again when the reload is done, whatever its outcome. */
  reloading(status = 'reading the configuration again'): void {
    this.#tell('RELOADING=1', () => notifyReloading(status));
  }

  /** STOPPING=1; the watchdog's keep-alive ends. */
  stopping(status = 'shutting down'): void {
    this.#watchdog?.stop();
    this.#watchdog = null;
    if (!this.#handedOver) this.#tell('STOPPING=1', () => notifyStopping(status));
  }

  /**
   * A new generation (`pid`) serves now: this process, the unit's main one,
   * makes it the main process (MAINPID=, accepted from the main process
   * under NotifyAccess=main), so that systemd neither ends the unit when
   * this one exits after its drain nor ignores the new one's WATCHDOG=1;
   * and says nothing more itself, not even STOPPING=1.
   */
  handedOver(pid: number): void {
    this.#tell(`MAINPID=${pid}`, () => notify(`MAINPID=${pid}`));
    this.#handedOver = true;
    this.#watchdog?.stop();
    this.#watchdog = null;
  }

  #tell(what: string, send: () => unknown): void {
    try {
      send();
    } catch (err) {
      this.#report(what, err as Error);
    }
  }

  #report(what: string, err: Error): void {
    console.error(`${this.#program}: cannot send ${what} to systemd (NOTIFY_SOCKET): ${err.message}`);
  }
}
