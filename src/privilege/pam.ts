// PAM logins as an FTP server makes them (vsftpd's order): authenticate with
// a conversation that answers the password, check the account, establish the
// credentials and open the session; close it all when the session ends.
// Linux-PAM's library is loaded at run time (dlopen), so that building the
// addon needs no PAM headers. Every PAM call runs off the main thread; a
// handle is used by one call at a time. Privileged side (pam_unix reads
// /etc/shadow as root): look for suitable paranoia in this file.
import fs from 'node:fs';
import { native, type NativePamFailure } from '../native.js';
import { PrivsepError, invalidArgType, invalidArgValue } from '../errors.js';
import { checkName } from './users.js';

// Linux-PAM's return values, by number (security/_pam_types.h).
const PAM_CODES = [
  'PAM_SUCCESS', 'PAM_OPEN_ERR', 'PAM_SYMBOL_ERR', 'PAM_SERVICE_ERR', 'PAM_SYSTEM_ERR', 'PAM_BUF_ERR',
  'PAM_PERM_DENIED', 'PAM_AUTH_ERR', 'PAM_CRED_INSUFFICIENT', 'PAM_AUTHINFO_UNAVAIL', 'PAM_USER_UNKNOWN',
  'PAM_MAXTRIES', 'PAM_NEW_AUTHTOK_REQD', 'PAM_ACCT_EXPIRED', 'PAM_SESSION_ERR', 'PAM_CRED_UNAVAIL',
  'PAM_CRED_EXPIRED', 'PAM_CRED_ERR', 'PAM_NO_MODULE_DATA', 'PAM_CONV_ERR', 'PAM_AUTHTOK_ERR',
  'PAM_AUTHTOK_RECOVERY_ERR', 'PAM_AUTHTOK_LOCK_BUSY', 'PAM_AUTHTOK_DISABLE_AGING', 'PAM_TRY_AGAIN',
  'PAM_IGNORE', 'PAM_ABORT', 'PAM_AUTHTOK_EXPIRED', 'PAM_MODULE_UNKNOWN', 'PAM_BAD_ITEM', 'PAM_CONV_AGAIN',
  'PAM_INCOMPLETE',
] as const;

// What Linux-PAM accepts as a file name under /etc/pam.d (no '/', not '.' or '..').
const SERVICE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,63}$/;

/**
 * A PAM step that refused or failed: `syscall` names the step
 * ('pam_authenticate', 'pam_acct_mgmt', ...), `pamStatus` is its PAM_* value
 * and `pamCode` that value's name ('PAM_AUTH_ERR', 'PAM_ACCT_EXPIRED', ...).
 */
export class PamError extends PrivsepError {
  readonly syscall: string;
  readonly pamStatus: number;
  readonly pamCode: string;
  constructor(failure: NativePamFailure, service: string, user: string) {
    const pamCode = PAM_CODES[failure.status] ?? `PAM error ${failure.status}`;
    super('ERR_PRIVSEP_PAM', `${pamCode}: ${failure.message}, ${failure.step} (service '${service}', user '${user}')`);
    this.syscall = failure.step;
    this.pamStatus = failure.status;
    this.pamCode = pamCode;
  }
}

/** Options of {@link pamLogin}: the items vsftpd sets (unset when not given). */
export interface PamLoginOptions {
  /** PAM_RHOST: the client's address. */
  rhost?: string;
  /** PAM_TTY: vsftpd gives 'ftp'. */
  tty?: string;
}

/** An open PAM session (credentials established); close() ends it. */
export class PamSession {
  /** The PAM service the login went through. */
  readonly service: string;
  /** The account PAM logged in: PAM_USER after the login (a module may map the name given). */
  readonly user: string;
  readonly #handle: object;
  #closed: Promise<void> | null = null;

  /** @internal made by pamLogin */
  constructor(service: string, user: string, handle: object) {
    this.service = service;
    this.user = user;
    this.#handle = handle;
  }

  /**
   * pam_close_session, pam_setcred(PAM_DELETE_CRED) and pam_end, off the
   * main thread. Once: later calls get the same promise.
   * @throws PamError when closing the session or deleting the credentials
   *   failed (the handle is ended all the same)
   */
  close(): Promise<void> {
    this.#closed ??= native.pamClose(this.#handle).then((failure) => {
      if (failure !== null) throw new PamError(failure, this.service, this.user);
    });
    return this.#closed;
  }
}

function checkService(service: unknown): string {
  if (typeof service !== 'string') throw invalidArgType('service', 'of type string', service);
  if (!SERVICE_NAME.test(service)) throw invalidArgValue('service', service, 'is not a PAM service name');
  return service;
}

function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must not contain a NUL byte');
  return value;
}

/**
 * Loads Linux-PAM's library (libpam.so.0) if it is not loaded yet.
 * @throws ERR_PRIVSEP_PAM_UNAVAILABLE (syscall 'dlopen') when it cannot be loaded
 */
export function loadPam(): void {
  native.pamLoad();
}

/**
 * Checks that PAM logins through `service` can work: libpam loads, and the
 * service has a configuration of its own. Without one Linux-PAM would quietly
 * use its "other" service (pam_deny on some systems, every common-* module on
 * Debian), which is never what a server's administrator meant.
 * @returns the file that configures `service`
 * @throws ERR_PRIVSEP_PAM_UNAVAILABLE; ERR_PRIVSEP_PAM_NO_SERVICE; ERR_INVALID_ARG_VALUE
 */
export function checkPamService(service: string): string {
  checkService(service);
  loadPam();
  // As Linux-PAM reads them: /etc/pam.d when it is a directory, else /etc/pam.conf.
  if (fs.statSync('/etc/pam.d', { throwIfNoEntry: false })?.isDirectory()) {
    const file = `/etc/pam.d/${service}`;
    if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return file;
    throw Object.assign(new PrivsepError('ERR_PRIVSEP_PAM_NO_SERVICE', `PAM service '${service}' has no configuration: ${file} does not exist (Linux-PAM would use /etc/pam.d/other)`), { path: file });
  }
  const conf = '/etc/pam.conf';
  const text = fs.existsSync(conf) ? fs.readFileSync(conf, 'utf8') : '';
  if (text.split('\n').some((line) => line.trim().split(/\s+/)[0] === service)) return conf;
  throw Object.assign(new PrivsepError('ERR_PRIVSEP_PAM_NO_SERVICE', `PAM service '${service}' has no configuration: no line for it in ${conf} (Linux-PAM would use its "other" lines)`), { path: conf });
}

/**
 * Logs `user` in through the PAM service `service` as vsftpd does:
 * pam_start, the items PAM_RHOST, PAM_TTY and PAM_RUSER (the user),
 * pam_authenticate with a conversation that answers `password` to hidden
 * prompts, pam_acct_mgmt (expiry, locks, pam_listfile, pam_shells, ...),
 * pam_setcred(PAM_ESTABLISH_CRED) and pam_open_session, all in one job off
 * the main thread. PAM's own delay after a failure (pam_unix asks for about
 * two seconds) is not slept: a caller applies its own, as a pool thread should
 * not wait.
 * @returns the open session; close it when the user's session ends
 * @throws PamError (ERR_PRIVSEP_PAM) naming the step that refused;
 *   ERR_PRIVSEP_PAM_UNAVAILABLE; ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
 *   (a password with a NUL byte, which PAM would cut short)
 */
export async function pamLogin(service: string, user: string, password: string, options: PamLoginOptions = {}): Promise<PamSession> {
  checkService(service);
  checkName('user', user);
  checkText('password', password);
  const rhost = options.rhost === undefined ? '' : checkText('options.rhost', options.rhost);
  const tty = options.tty === undefined ? '' : checkText('options.tty', options.tty);
  const result = await native.pamLogin(service, user, password, rhost, tty);
  if (!('handle' in result)) throw new PamError(result, service, user);
  return new PamSession(service, result.user, result.handle);
}
