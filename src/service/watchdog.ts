// The service watchdog: with WatchdogSec= set, systemd expects WATCHDOG=1
// within every period and kills a service that stays silent.
import { environmentInteger, namesThisProcess, type ServiceEnvironmentOptions } from './environment.js';
import { notify } from './notify.js';

/**
 * How often to send WATCHDOG=1, in milliseconds: half the period in
 * WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; null when there is no
 * watchdog for this process (WATCHDOG_USEC unset, or WATCHDOG_PID naming
 * another process).
 * @throws TypeError (ERR_INVALID_ARG_VALUE) naming the variable for a value that is not a positive number
 */
export function watchdogInterval(options: ServiceEnvironmentOptions = {}): number | null {
  const env = options.env ?? process.env;
  const usec = environmentInteger(env, 'WATCHDOG_USEC', 1, Number.MAX_SAFE_INTEGER);
  if (usec === undefined) return null;
  if (namesThisProcess(env, 'WATCHDOG_PID') === false) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/** A running watchdog keep-alive; stop() ends it. */
export interface Watchdog {
  readonly intervalMs: number;
  stop(): void;
}

/**
 * Sends WATCHDOG=1 now and then at watchdogInterval() from a timer that does
 * not keep the process alive: while the event loop runs, systemd hears from
 * it; a loop that hangs stops the pings and systemd acts. `onError` gets a
 * failed send (the timer goes on). Null when systemd asked for no watchdog.
 */
export function startWatchdog(onError: (err: Error) => void = () => {}, options: ServiceEnvironmentOptions = {}): Watchdog | null {
  const intervalMs = watchdogInterval(options);
  if (intervalMs === null) return null;
  const ping = (): void => {
    try {
      notify('WATCHDOG=1', options);
    } catch (err) {
      onError(err as Error);
    }
  };
  ping();
  const timer = setInterval(ping, intervalMs);
  timer.unref();
  return { intervalMs, stop: () => clearInterval(timer) };
}
