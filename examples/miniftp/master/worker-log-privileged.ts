// A log event a worker sends on the monitor channel, checked field by field
// before the master writes it. Privileged side: the worker may be hostile, so
// only known event types with fields of the right kind get through; the time
// is the master's and the client address is the master's record of it.
import type { SessionLogEvent } from '../session/index.js';
import { refusal } from 'privsep';

// Longer fields are cut: a line stays a line, not a way to fill the disk.
const MAX_FIELD_CHARS = 4096;

function invalid(message: string): Error {
  return refusal('EINVAL', `log event from a worker: ${message}`);
}

type Fields = Record<string, unknown>;

function text(fields: Fields, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}...` : value;
}

function count(fields: Fields, name: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(`${name} must be a number of 0 or more`);
  return value;
}

function flag(fields: Fields, name: string): boolean {
  const value = fields[name];
  if (typeof value !== 'boolean') throw invalid(`${name} must be true or false`);
  return value;
}

function oneOf<const T extends string>(fields: Fields, name: string, allowed: readonly T[]): T {
  const value = fields[name];
  if (!allowed.includes(value as T)) throw invalid(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * The event in `json`, as the session with client address `client` may log it.
 * @throws EINVAL naming the first field that is wrong
 */
export function parseWorkerEvent(json: Buffer, client: string): SessionLogEvent {
  let fields: unknown;
  try {
    fields = JSON.parse(json.toString());
  } catch {
    throw invalid('not JSON');
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw invalid('not an object');
  const f = fields as Fields;
  const user = f.user === null ? null : text(f, 'user');
  const base = { time: new Date(), session: text(f, 'session'), client, user };
  switch (f.type) {
    case 'connect':
      return { ...base, type: 'connect' };
    case 'login':
      return { ...base, type: 'login', ok: flag(f, 'ok'), anonymous: flag(f, 'anonymous') };
    case 'transfer':
      return {
        ...base, type: 'transfer',
        direction: oneOf(f, 'direction', ['download', 'upload']),
        path: text(f, 'path'),
        bytes: count(f, 'bytes'),
        seconds: count(f, 'seconds'),
        result: oneOf(f, 'result', ['ok', 'failed', 'aborted']),
        mode: oneOf(f, 'mode', ['ascii', 'binary']),
        throttleWaits: count(f, 'throttleWaits'),
      };
    case 'action':
      return {
        ...base, type: 'action',
        action: oneOf(f, 'action', ['mkdir', 'rmdir', 'delete', 'rename', 'chmod']),
        path: text(f, 'path'),
        ok: flag(f, 'ok'),
      };
    case 'end':
      return { ...base, type: 'end', reason: text(f, 'reason') };
    case 'protocol':
      return { ...base, type: 'protocol', direction: oneOf(f, 'direction', ['command', 'reply']), text: text(f, 'text') };
    default:
      throw invalid('unknown type');
  }
}
