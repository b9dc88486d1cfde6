// The environment variables systemd sets for a service, read as
// sd-daemon(3) reads them: a bad value is an error that names the variable.
import { invalidArgValue } from '../errors.js';

/** Where the variables come from: process.env unless a caller gives another (tests do). */
export interface ServiceEnvironmentOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * The whole number in `env[name]`, from `min` to `max`; undefined when unset.
 * @throws TypeError (ERR_INVALID_ARG_VALUE) naming `process.env.NAME` for anything else
 */
export function environmentInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^[0-9]{1,16}$/.test(text) || value < min || value > max) {
    throw invalidArgValue(`process.env.${name}`, text, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Whether `env[name]` (a pid) names this process; undefined when unset. */
export function namesThisProcess(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const pid = environmentInteger(env, name, 1, 2 ** 31 - 1);
  return pid === undefined ? undefined : pid === process.pid;
}
