// The administrator's command and file policy for a session: cmds_allowed,
// cmds_denied, deny_file and hide_file, compiled once per set of options.
import type { EngineOptions } from './engine-options.js';
import { NamePattern } from './name-pattern.js';

interface CompiledPolicy {
  allowed: ReadonlySet<string> | null;
  denied: ReadonlySet<string>;
  denyFile: NamePattern | null;
  hideFile: NamePattern | null;
}

const compiled = new WeakMap<EngineOptions, CompiledPolicy>();

function commandSet(list: string | null): Set<string> {
  return new Set(list === null ? [] : list.split(',').map((verb) => verb.trim().toUpperCase()));
}

function policyOf(options: EngineOptions): CompiledPolicy {
  let policy = compiled.get(options);
  if (!policy) {
    policy = {
      allowed: options.cmdsAllowed === null ? null : commandSet(options.cmdsAllowed),
      denied: commandSet(options.cmdsDenied),
      denyFile: options.denyFile === null ? null : new NamePattern(options.denyFile),
      hideFile: options.hideFile === null ? null : new NamePattern(options.hideFile),
    };
    compiled.set(options, policy);
  }
  return policy;
}

/** Whether cmds_allowed and cmds_denied let a logged-in session run `verb` (upper case). */
export function commandAllowed(options: EngineOptions, verb: string): boolean {
  const { allowed, denied } = policyOf(options);
  return (allowed === null || allowed.has(verb)) && !denied.has(verb);
}

/** Whether deny_file refuses a path of the session's view (any of its names matching). */
export function pathDenied(options: EngineOptions, viewPath: string): boolean {
  return policyOf(options).denyFile?.matchesAnyPart(viewPath) ?? false;
}

/** The names a listing shows: hide_file's matches left out ("." and ".." stay). */
export function visibleNames(options: EngineOptions, names: string[]): string[] {
  const hide = policyOf(options).hideFile;
  return hide === null ? names : names.filter((name) => name === '.' || name === '..' || !hide.matches(name));
}
