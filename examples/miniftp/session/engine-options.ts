// The settings the session engine reads: those of the configuration table
// that name the engine, with the table's defaults, and a few of its own.
import { engineSettingsFromTable, type EngineSettingsFromTable } from '../config-table.js';
import { invalidArgValue, outOfRange } from 'privsep';
import { namePatternError } from './name-pattern.js';

/** Looks up user and group names for LIST when ids are shown by name. */
export interface IdNameLookup {
  user(uid: number): string | undefined;
  group(gid: number): string | undefined;
}

/**
 * The engine's own settings, which no configuration line sets: they are
 * derived from several settings, or serve tests and embedders.
 */
interface EngineOnlyOptions {
  /** With it (and hideIds off), LIST shows owner and group names; without, numbers (vsftpd's default). */
  idNames: IdNameLookup | null;
  /**
   * An emulated root: this real directory is "/" for every session, and no
   * path (symbolic links included) may leave it. null when the process itself
   * is chrooted or serves real paths. A login answer may give its own.
   */
  root: string | null;
  /** Longest command line, bytes (vsftpd: 4096). */
  maxCommandLineBytes: number;
  /** Most entries a listing (LIST, NLST, MLSD, STAT) reads from one directory; past it the listing is refused. */
  maxListingEntries: number;
  /** Most entries LIST -R shows in all (all are read before the listing is sent); past it the listing is cut. */
  maxRecursiveEntries: number;
  /** Most levels of subdirectories LIST -R goes down; deeper ones are left out and the listing says it was cut. */
  maxRecursiveDepth: number;
}

/**
 * The engine's settings: those of miniftp's configuration table that carry
 * an engine name (banner, timeouts in seconds, umasks, write and anonymous
 * permissions, rates, data connection policy, ...), and its own.
 */
export type EngineOptions = EngineSettingsFromTable & EngineOnlyOptions;

/** The configuration table's defaults (vsftpd's), and the engine's own. */
export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = Object.freeze({
  ...engineSettingsFromTable(),
  idNames: null,
  root: null,
  maxCommandLineBytes: 4096,
  maxListingEntries: 100_000,
  maxRecursiveEntries: 20_000,
  maxRecursiveDepth: 16,
});

const nonNegative: ReadonlyArray<keyof EngineOptions> = [
  'idleSessionTimeout', 'dataConnectionTimeout', 'acceptTimeout', 'connectTimeout',
  'downloadMaxRate', 'uploadMaxRate', 'maxLoginFails', 'maxListingEntries', 'maxRecursiveEntries', 'maxRecursiveDepth',
];

/**
 * The defaults overridden by `overrides`, checked.
 * @throws RangeError (ERR_OUT_OF_RANGE) for a negative or non-integer number,
 *   a umask or file mode outside 0..0o777, or a command line cap under 512 bytes;
 *   TypeError (ERR_INVALID_ARG_VALUE) for a root that is not an absolute path,
 *   or a deny_file or hide_file pattern that cannot be matched
 */
export function engineOptions(overrides: Partial<EngineOptions> = {}): EngineOptions {
  const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...overrides };
  for (const name of nonNegative) {
    const value = options[name] as number;
    if (!Number.isInteger(value) || value < 0) throw outOfRange(name, 'an integer >= 0', value);
  }
  for (const name of ['fileOpenMode', 'localUmask', 'anonUmask'] as const) {
    if (!Number.isInteger(options[name]) || options[name] < 0 || options[name] > 0o777) throw outOfRange(name, 'an integer 0..0o777', options[name]);
  }
  if (!Number.isInteger(options.maxCommandLineBytes) || options.maxCommandLineBytes < 512) {
    throw outOfRange('maxCommandLineBytes', 'an integer >= 512', options.maxCommandLineBytes);
  }
  for (const name of ['denyFile', 'hideFile'] as const) {
    const why = options[name] === null ? undefined : namePatternError(options[name]);
    if (why !== undefined) throw invalidArgValue(name, options[name], why);
  }
  if (options.root !== null && (typeof options.root !== 'string' || !options.root.startsWith('/') || options.root.includes('\0'))) {
    throw invalidArgValue('root', options.root, 'must be an absolute path');
  }
  return options;
}
