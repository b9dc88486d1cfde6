// Resource limits of the process (getrlimit/setrlimit), by name. A limit
// belongs to the whole process; lowering the hard limit is for good
// unless the process keeps CAP_SYS_RESOURCE.
import { native } from '../native.js';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors.js';

export const RESOURCE_LIMITS = [
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss',
  'rtprio', 'rttime', 'sigpending', 'stack',
] as const;

export type ResourceLimitName = (typeof RESOURCE_LIMITS)[number];

/** Soft and hard limit; Infinity stands for "unlimited". */
export interface ResourceLimit {
  soft: number;
  hard: number;
}

function checkResource(argName: string, name: unknown): ResourceLimitName {
  if (typeof name !== 'string') throw invalidArgType(argName, 'of type string', name);
  if (!(RESOURCE_LIMITS as readonly string[]).includes(name)) {
    throw invalidArgValue(argName, name, `must be one of ${RESOURCE_LIMITS.join(', ')}`);
  }
  return name as ResourceLimitName;
}

function checkLimit(name: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (value !== Infinity && (!Number.isSafeInteger(value) || value < 0)) {
    throw outOfRange(name, 'a non-negative integer or Infinity', value);
  }
  return value;
}

/**
 * Checks a resource name and a limit (a number sets soft and hard).
 * @throws ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE
 */
export function checkResourceLimit(argName: string, name: unknown, limit: unknown): [ResourceLimitName, number, number] {
  const resource = checkResource(argName, name);
  if (typeof limit === 'number') {
    const value = checkLimit(argName, limit);
    return [resource, value, value];
  }
  if (typeof limit !== 'object' || limit === null) throw invalidArgType(argName, 'a number or { soft, hard }', limit);
  const { soft, hard } = limit as Partial<ResourceLimit>;
  return [resource, checkLimit(`${argName}.soft`, soft), checkLimit(`${argName}.hard`, hard)];
}

/** getrlimit(2). @throws ERR_INVALID_ARG_VALUE for an unknown name */
export function getResourceLimit(name: ResourceLimitName): ResourceLimit {
  const [soft, hard] = native.getrlimit(checkResource('name', name));
  return { soft, hard };
}

/**
 * setrlimit(2); a number sets both limits.
 * @throws EPERM when raising a hard limit without CAP_SYS_RESOURCE; EINVAL when soft > hard;
 *   ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE
 */
export function setResourceLimit(name: ResourceLimitName, limit: number | ResourceLimit): void {
  const [resource, soft, hard] = checkResourceLimit('limit', name, limit);
  native.setrlimit(resource, soft, hard);
}
