// The code a BAD result carries: taken from a thrown error when it has a
// usable one ('EACCES', 'ERR_...'), with the matching negative errno for
// system errors. Runs on the privileged (server) side; never sends messages.
import os from 'node:os';
import { CODE_PATTERN } from './items.js';

/** The code sent when a handler's error has no usable code of its own. */
export const HANDLER_FAILED_CODE = 'ERR_PRIVSEP_HANDLER_FAILED';

const ERRNO_OF_CODE = new Map<string, number>(Object.entries(os.constants.errno).map(([code, n]) => [code, -n]));

/** The negative errno of a system error code, or 0 when `code` names none. */
export function errnoOfCode(code: string): number {
  return ERRNO_OF_CODE.get(code) ?? 0;
}

/** What a BAD result should carry for an error a handler threw. */
export function badResultOf(err: unknown): { code: string; errno: number } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; errno?: unknown };
  if (typeof e.code !== 'string' || !CODE_PATTERN.test(e.code)) return { code: HANDLER_FAILED_CODE, errno: 0 };
  const known = errnoOfCode(e.code);
  const errno = typeof e.errno === 'number' && Number.isInteger(e.errno) && e.errno < 0 && e.errno >= -0x7fffffff ? e.errno : known;
  return { code: e.code, errno };
}
