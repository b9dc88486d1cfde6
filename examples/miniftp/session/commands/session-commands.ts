// Commands about the session itself: USER, PASS, QUIT, NOOP, SYST, FEAT,
// OPTS, HELP, STAT without a path, the TLS ones (AUTH, PBSZ, PROT, RFC 4217)
// and the ones miniftp answers only with a refusal (REIN, ACCT, SMNT).
// Runs in a worker.
import { featureReplyLines, mlstFeature, parseMlstOptions, ReplyCode } from '../../../ftp/index.js';
import { tlsPolicyRefusal } from '../../tls-policy.js';
import type { SessionContext } from '../session-context.js';

/**
 * USER: remembers the name and asks for the password (331); with
 * no_anon_password, an anonymous user logs in at once. With userlist_enable
 * the master may refuse the name first, as vsftpd does: "530 Permission
 * denied.", counted as a failed login.
 */
export async function handleUser(ctx: SessionContext, arg: string): Promise<void> {
  if (ctx.state.loggedIn) {
    ctx.reply(ReplyCode.NotLoggedIn, "Can't change to another user.");
    return;
  }
  // As vsftpd: without anonymous_enable, "ftp" and "anonymous" are ordinary user names.
  const anonymous = ctx.options.anonymousEnable && /^(ftp|anonymous)$/i.test(arg);
  if (!anonymous && !ctx.options.localEnable) {
    ctx.reply(ReplyCode.NotLoggedIn, 'This FTP server is anonymous only.');
    return;
  }
  const tlsRefusal = tlsPolicyRefusal(ctx.options, anonymous, ctx.tls);
  if (tlsRefusal !== null) {
    ctx.reply(ReplyCode.NotLoggedIn, tlsRefusal);
    return;
  }
  const listed = (await ctx.host.checkUser?.(arg).catch(() => 'refused' as const)) ?? 'ok';
  if (listed !== 'ok') {
    ctx.state.user = null;
    ctx.state.loginFails++;
    if (listed === 'refusedLast' || ctx.state.loginFails >= ctx.options.maxLoginFails) await ctx.disconnect(ReplyCode.NotLoggedIn, 'Permission denied.');
    else ctx.reply(ReplyCode.NotLoggedIn, 'Permission denied.');
    return;
  }
  ctx.state.user = arg;
  // As vsftpd: the password checks see this text in place of an e-mail address.
  if (anonymous && ctx.options.noAnonPassword) return handlePass(ctx, '<no password>');
  ctx.reply(ReplyCode.NeedPassword, 'Please specify the password.');
}

/**
 * PASS: asks the host (the master) to check the password. A failure gets
 * the same 530 for a wrong password and an unknown user, after the
 * master's delay; max_login_fails closes the connection.
 */
export async function handlePass(ctx: SessionContext, arg: string): Promise<void> {
  if (ctx.state.loggedIn) {
    ctx.reply(ReplyCode.LoggedIn, 'Already logged in.');
    return;
  }
  const user = ctx.state.user;
  if (user === null) {
    ctx.reply(ReplyCode.BadSequence, 'Login with USER first.');
    return;
  }
  ctx.state.user = null;
  let answer = await ctx.host.login?.(user, arg).catch(() => null);
  answer ??= { ok: false };
  if (answer.ok) {
    await ctx.loginSucceeded(answer);
    return;
  }
  ctx.log({ type: 'login', ok: false, anonymous: /^(ftp|anonymous)$/i.test(user) }, user);
  ctx.state.loginFails++;
  if (answer.disconnect || ctx.state.loginFails >= ctx.options.maxLoginFails) {
    await ctx.disconnect(ReplyCode.NotLoggedIn, 'Login incorrect.');
    return;
  }
  ctx.reply(ReplyCode.NotLoggedIn, 'Login incorrect.');
}

/** QUIT: 221 and close (after the transfer in progress, RFC 959). */
export function handleQuit(ctx: SessionContext): void {
  ctx.quit();
}

/** NOOP. */
export function handleNoop(ctx: SessionContext): void {
  ctx.reply(ReplyCode.Ok, 'NOOP ok.');
}

/** SYST: what every Unix server answers. */
export function handleSyst(ctx: SessionContext): void {
  ctx.reply(ReplyCode.SystemType, 'UNIX Type: L8');
}

/** The features FEAT lists (RFC 2389), as this session's settings allow. */
export function features(ctx: SessionContext): string[] {
  const list: string[] = [];
  if (ctx.options.sslEnable) list.push('AUTH TLS');
  if (ctx.options.portEnable) list.push('EPRT');
  if (ctx.options.pasvEnable) list.push('EPSV');
  list.push('MDTM');
  if (ctx.options.writeEnable) list.push('MFMT');
  list.push(`MLST ${mlstFeature(ctx.state.mlstFacts)}`);
  if (ctx.options.pasvEnable) list.push('PASV');
  if (ctx.options.sslEnable) list.push('PBSZ', 'PROT');
  list.push('REST STREAM', 'SIZE', 'TVFS', 'UTF8');
  return list;
}

/** FEAT: 211 with one feature per line. */
export function handleFeat(ctx: SessionContext): void {
  ctx.reply(ReplyCode.SystemStatus, featureReplyLines(features(ctx)));
}

/** OPTS UTF8 ON (always on), OPTS MLST facts (RFC 3659 7.9). */
export function handleOpts(ctx: SessionContext, arg: string): void {
  const space = arg.indexOf(' ');
  const name = (space === -1 ? arg : arg.slice(0, space)).toUpperCase();
  const value = space === -1 ? '' : arg.slice(space + 1).trim();
  if (name === 'UTF8' && (value === '' || value.toUpperCase() === 'ON')) {
    ctx.reply(ReplyCode.Ok, 'Always in UTF8 mode.');
  } else if (name === 'MLST') {
    ctx.state.mlstFacts = parseMlstOptions(value);
    ctx.reply(ReplyCode.Ok, `MLST OPTS ${ctx.state.mlstFacts.map((fact) => `${fact};`).join('')}`);
  } else {
    ctx.reply(ReplyCode.SyntaxErrorInArguments, 'Option not understood.');
  }
}

/** HELP: the verbs this server knows, eight to a line. */
export function handleHelp(ctx: SessionContext): void {
  const verbs = ctx.commandNames();
  const lines = ['The following commands are recognized.'];
  for (let i = 0; i < verbs.length; i += 8) lines.push(' ' + verbs.slice(i, i + 8).map((verb) => verb.padEnd(4)).join(' '));
  lines.push('Help OK.');
  ctx.reply(ReplyCode.HelpMessage, lines);
}

/** STAT without a path: the session's status (211); during a transfer, the transfer's (213). */
export function handleStatServer(ctx: SessionContext): void {
  const transfer = ctx.transfer;
  if (transfer) {
    ctx.reply(ReplyCode.FileStatus, `Status: ${transfer.direction} of ${transfer.path}, ${transfer.bytes} bytes so far.`);
    return;
  }
  const { options, state } = ctx;
  const rate = Math.max(options.downloadMaxRate, options.uploadMaxRate);
  ctx.reply(ReplyCode.SystemStatus, [
    'FTP server status:',
    `     Connected to ${ctx.clientAddress}`,
    `     Logged in as ${state.user ?? ''}`,
    `     TYPE: ${state.type === 'ascii' ? 'ASCII' : 'BINARY'}`,
    rate === 0 ? '     No session bandwidth limit' : `     Session bandwidth limit in byte/s is ${options.downloadMaxRate} down, ${options.uploadMaxRate} up`,
    options.idleSessionTimeout === 0 ? '     No session timeout' : `     Session timeout in seconds is ${options.idleSessionTimeout}`,
    ctx.tls ? '     Control connection is encrypted (TLS)' : '     Control connection is plain text',
    state.protection === 'P' ? '     Data connections will be encrypted (TLS)' : '     Data connections will be plain text',
    '     miniftp session engine',
    'End of status',
  ]);
}

/**
 * AUTH TLS (AUTH SSL, TLS-C and TLS-P as synonyms, as vsftpd): 234, then the
 * handshake with the TLS gate. Without ssl_enable, 502 (RFC 2228 lets a
 * server refuse; clients go on in plain text). Only before login: after it
 * the connection belongs to the user's worker, which cannot start TLS.
 */
export async function handleAuth(ctx: SessionContext, arg: string): Promise<void> {
  if (!ctx.options.sslEnable || (ctx.phase === 'prelogin' && !ctx.host.startTls)) {
    ctx.reply(ReplyCode.CommandNotImplemented, 'TLS is not available.');
    return;
  }
  if (ctx.tls) {
    ctx.reply(ReplyCode.BadSequence, 'Already using TLS.');
    return;
  }
  if (ctx.phase !== 'prelogin' || !ctx.host.startTls) {
    ctx.reply(ReplyCode.BadSequence, 'AUTH must come before login.');
    return;
  }
  if (!/^(TLS|TLS-C|SSL|TLS-P)$/i.test(arg.trim())) {
    ctx.reply(ReplyCode.ParameterNotImplemented, 'Unknown AUTH type.');
    return;
  }
  await ctx.startTls();
}

/**
 * Whether PBSZ or PROT may go on: TLS on, and the control connection
 * protected. Without ssl_enable, as vsftpd: a command for logged-in sessions
 * that is not implemented. Replies itself when not.
 */
function protectedControl(ctx: SessionContext, verb: 'PBSZ' | 'PROT'): boolean {
  if (!ctx.options.sslEnable) {
    if (ctx.phase === 'prelogin') ctx.reply(ReplyCode.NotLoggedIn, 'Please login with USER and PASS.');
    else ctx.reply(ReplyCode.CommandNotImplemented, 'TLS is not available.');
    return false;
  }
  if (!ctx.tls) {
    ctx.reply(ReplyCode.BadSequence, `${verb} needs a protected control connection (AUTH TLS first).`);
    return false;
  }
  return true;
}

/** PBSZ: only 0 means anything for TLS (RFC 4217 9); needs AUTH first. */
export function handlePbsz(ctx: SessionContext, arg: string): void {
  if (!protectedControl(ctx, 'PBSZ')) return;
  if (!/^\d{1,10}$/.test(arg.trim())) {
    ctx.reply(ReplyCode.SyntaxErrorInArguments, 'PBSZ needs a number.');
    return;
  }
  ctx.state.pbsz = true;
  ctx.reply(ReplyCode.Ok, 'PBSZ=0');
}

/** PROT C or P (RFC 4217 9); S and E are not offered by TLS. Needs AUTH and PBSZ first. */
export function handleProt(ctx: SessionContext, arg: string): void {
  if (!protectedControl(ctx, 'PROT')) return;
  if (!ctx.state.pbsz) {
    ctx.reply(ReplyCode.BadSequence, 'PBSZ first.');
    return;
  }
  const level = arg.trim().toUpperCase();
  // Before login the session's future worker decides; after it, this one must reach a TLS gate.
  if (level === 'P' && ctx.phase === 'postlogin' && !ctx.host.protectData) {
    ctx.reply(ReplyCode.ProtectionLevelNotSupported, 'PROT P is not available here.');
  } else if (level === 'C' || level === 'P') {
    ctx.state.protection = level;
    ctx.reply(ReplyCode.Ok, level === 'P' ? 'PROT now Private.' : 'PROT now Clear.');
  } else if (level === 'S' || level === 'E') {
    ctx.reply(ReplyCode.ProtectionLevelNotSupported, `PROT ${level} is not supported.`);
  } else {
    ctx.reply(ReplyCode.ParameterNotImplemented, 'Unknown PROT level.');
  }
}

/** REIN, ACCT, SMNT: RFC 959 commands vsftpd does not implement either. */
export function notImplemented(verb: string): (ctx: SessionContext) => void {
  return (ctx) => ctx.reply(ReplyCode.CommandNotImplemented, `${verb} not implemented.`);
}
