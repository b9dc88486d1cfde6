// Checks of the option objects of changeCredentials and spawnWithCredentials:
// no unknown names (a misspelt option must not silently leave a privilege in
// place), booleans, paths and gid lists.
import path from 'node:path';
import { invalidArgType, invalidArgValue } from '../errors.js';
import { checkId } from './users.js';

/** @throws ERR_INVALID_ARG_TYPE for a non-object, ERR_INVALID_ARG_VALUE for an unknown option */
export function checkOptionNames(options: unknown, known: ReadonlySet<string>, fn: string): void {
  if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw invalidArgValue(`options.${key}`, key, `is not an option of ${fn}`);
  }
}

/** @throws ERR_INVALID_ARG_TYPE */
export function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** A path without NUL, or null when not given. @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE */
export function optionalPath(name: string, value: unknown, absolute: boolean): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw invalidArgType(name, 'a non-empty path without NUL', value);
  }
  if (absolute && !path.isAbsolute(value)) throw invalidArgValue(name, value, 'must be an absolute path');
  return value;
}

/** @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE */
export function checkGroups(name: string, groups: unknown): number[] {
  if (!Array.isArray(groups)) throw invalidArgType(name, 'an array of gids', groups);
  return groups.map((g, i) => checkId(`${name}[${i}]`, g));
}
