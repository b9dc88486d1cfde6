// The state of one FTP session that outlives the process serving it: what
// the pre-login worker hands over after a good PASS, for the user's worker
// to go on from. Plain data, JSON-safe, checked when it comes back in.
import { MLSX_FACTS, type MlsxFact } from '../../ftp/index.js';
import { invalidArgValue } from 'privsep';

/** Everything a session remembers between commands. */
export interface SessionState {
  /** The session's id in log lines. */
  id: string;
  /** The name given with USER; after login, the user logged in. */
  user: string | null;
  anonymous: boolean;
  loggedIn: boolean;
  /** 230 is still owed to the client: the worker that adopts the session sends it first. */
  loginReplyPending: boolean;
  /** Failed PASS commands so far. */
  loginFails: number;
  /** This session's emulated root (a real directory that is "/"), or null for the engine's `root` option. */
  root: string | null;
  /** The directory "~" means, and where the session starts. */
  home: string;
  /** The current directory, absolute in the session's view. */
  cwd: string;
  type: 'ascii' | 'binary';
  /** REST: where the next RETR or STOR starts. */
  restartOffset: number;
  /** RNFR: the path RNTO renames, in the session's view. */
  renameFrom: string | null;
  /** SITE UMASK, initially local_umask or anon_umask. */
  umask: number;
  /** OPTS MLST: the facts MLSD and MLST give. */
  mlstFacts: MlsxFact[];
  /** EPSV ALL was sent: only EPSV may set up data connections now (RFC 2428). */
  epsvAll: boolean;
  /** PBSZ 0 was given (RFC 4217: before PROT). */
  pbsz: boolean;
  /** PROT: C (clear) or P (private: data connections go through TLS). */
  protection: 'C' | 'P';
  /** The command line splitter's flags for the line in progress when the session was handed over. */
  splitter: { discarding: boolean; interrupted: boolean };
}

let counter = 0;

/** A fresh state, as a session starts before USER; `init` overrides fields. */
export function newSessionState(init: Partial<SessionState> = {}): SessionState {
  return {
    id: `${process.pid}-${++counter}`,
    user: null,
    anonymous: false,
    loggedIn: false,
    loginReplyPending: false,
    loginFails: 0,
    root: null,
    home: '/',
    cwd: '/',
    type: 'binary',
    restartOffset: 0,
    renameFrom: null,
    umask: 0o077,
    mlstFacts: [...MLSX_FACTS],
    epsvAll: false,
    pbsz: false,
    protection: 'C',
    ...init,
    splitter: { discarding: false, interrupted: false, ...init.splitter },
  };
}

function fail(field: string, value: unknown, why: string): TypeError {
  return invalidArgValue(field === 'state' ? field : `state.${field}`, typeof value === 'object' && value !== null ? JSON.stringify(value) : value, why);
}

const MAX_TEXT = 4096;

function text(value: unknown, field: string, nullable: boolean): string | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'string' || value.length > MAX_TEXT || value.includes('\0')) throw fail(field, value, `must be a string of at most ${MAX_TEXT} characters without NUL`);
  return value;
}

function absolute(value: unknown, field: string, nullable: boolean): string | null {
  const path = text(value, field, nullable);
  if (path !== null && !path.startsWith('/')) throw fail(field, path, 'must be an absolute path');
  return path;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw fail(field, value, 'must be a boolean');
  return value;
}

function integer(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw fail(field, value, `must be an integer 0..${max}`);
  return value;
}

/**
 * Checks a state that arrived from another process (as parsed JSON) and
 * returns a clean copy of it. Nothing but the declared fields survives.
 * @throws TypeError (ERR_INVALID_ARG_VALUE) naming the first bad field
 */
export function parseSessionState(value: unknown): SessionState {
  if (typeof value !== 'object' || value === null) throw fail('state', value, 'must be an object');
  const v = value as Record<string, unknown>;
  if (v.type !== 'ascii' && v.type !== 'binary') throw fail('type', v.type, "must be 'ascii' or 'binary'");
  if (v.protection !== 'C' && v.protection !== 'P') throw fail('protection', v.protection, "must be 'C' or 'P'");
  if (!Array.isArray(v.mlstFacts) || v.mlstFacts.some((f) => !(MLSX_FACTS as readonly unknown[]).includes(f))) {
    throw fail('mlstFacts', v.mlstFacts, 'must list known facts');
  }
  const splitter = v.splitter as Record<string, unknown> | null;
  if (typeof splitter !== 'object' || splitter === null) throw fail('splitter', splitter, 'must be an object');
  return {
    id: text(v.id, 'id', false)!,
    user: text(v.user, 'user', true),
    anonymous: flag(v.anonymous, 'anonymous'),
    loggedIn: flag(v.loggedIn, 'loggedIn'),
    loginReplyPending: flag(v.loginReplyPending, 'loginReplyPending'),
    loginFails: integer(v.loginFails, 'loginFails', 1000),
    root: absolute(v.root, 'root', true),
    home: absolute(v.home, 'home', false)!,
    cwd: absolute(v.cwd, 'cwd', false)!,
    type: v.type,
    restartOffset: integer(v.restartOffset, 'restartOffset', Number.MAX_SAFE_INTEGER),
    renameFrom: absolute(v.renameFrom, 'renameFrom', true),
    umask: integer(v.umask, 'umask', 0o777),
    mlstFacts: [...(v.mlstFacts as MlsxFact[])],
    epsvAll: flag(v.epsvAll, 'epsvAll'),
    pbsz: flag(v.pbsz, 'pbsz'),
    protection: v.protection,
    splitter: { discarding: flag(splitter.discarding, 'splitter.discarding'), interrupted: flag(splitter.interrupted, 'splitter.interrupted') },
  };
}
