// The command table: every verb miniftp knows, with its handler, the phase
// it belongs to, its argument rule, the write permission it needs, whether
// it may run during a transfer, the setting that enables it, and the paths
// its argument names (for deny_file). The session's dispatcher enforces all
// of it from here: policy is data.
import type { EngineOptions } from './engine-options.js';
import type { SessionContext, WriteKind } from './session-context.js';
import { handleAuth, handleFeat, handleHelp, handleNoop, handleOpts, handlePass, handlePbsz, handleProt, handleQuit, handleStatServer, handleSyst, handleUser, notImplemented } from './commands/session-commands.js';
import { handleCdup, handleCwd, handleMkd, handlePwd, handleRmd } from './commands/directory-commands.js';
import { handleDele, handleMdtm, handleMfmt, handleRnfr, handleRnto, handleSite, handleSize, mdtmArgs } from './commands/file-commands.js';
import { handleAllo, handleMode, handleRest, handleStru, handleType } from './commands/parameter-commands.js';
import { handleEprt, handleEpsv, handlePasv, handlePort } from './commands/data-connection-commands.js';
import { handleAbor, handleAppe, handleRetr, handleStor, handleStou } from './commands/transfer-commands.js';
import { handleList, handleMlsd, handleMlst, handleNlst, handleStatPath, splitOptions } from './commands/listing-commands.js';
import { ReplyCode } from '../../ftp/index.js';

/** One verb's entry. */
export interface CommandSpec {
  handler(ctx: SessionContext, arg: string): void | Promise<void>;
  /** 'any': before and after login; 'postlogin': before login it gets 530. */
  phase: 'any' | 'postlogin';
  /** Whether the verb takes an argument; a wrong count gets 501. */
  arg: 'required' | 'none' | 'optional';
  /** The write permission it needs; without it, 550 Permission denied. */
  write?: WriteKind;
  /** May run while a transfer is in progress (ABOR, STAT, NOOP, QUIT); other commands wait in line. */
  urgent?: boolean;
  /** The setting that enables it (pasv_enable, port_enable, download_enable, dirlist_enable); disabled, it gets 550 as in vsftpd. */
  enabled?(options: EngineOptions): boolean;
  /** Opens a data connection: refused with 522 when the TLS policy wants PROT P and the session has not given it. */
  data?: true;
  /** The paths its argument names: one deny_file matches gets 550 Permission denied. */
  paths?(arg: string, options: EngineOptions): string[];
}

const pasvEnabled = (options: EngineOptions): boolean => options.pasvEnable;
const portEnabled = (options: EngineOptions): boolean => options.portEnable;
const downloadEnabled = (options: EngineOptions): boolean => options.downloadEnable;
const dirlistEnabled = (options: EngineOptions): boolean => options.dirlistEnable;

const wholeArg = (arg: string): string[] => [arg];
const listingPath = (arg: string): string[] => [splitOptions(arg).path];
const sitePath = (arg: string): string[] => {
  const chmod = /^CHMOD +[^ ]+ +(.+)$/i.exec(arg);
  return chmod ? [chmod[1]!] : [];
};
const mdtmPath = (arg: string, options: EngineOptions): string[] => [mdtmArgs(arg, options).path];
const mfmtPath = (arg: string): string[] => [arg.slice(arg.indexOf(' ') + 1)];

function stat(ctx: SessionContext, arg: string): void | Promise<void> {
  if (arg === '' || ctx.transfer) return handleStatServer(ctx);
  if (!ctx.options.dirlistEnable) return ctx.reply(ReplyCode.FileUnavailable, 'Permission denied.');
  return handleStatPath(ctx, arg);
}

/** Every verb, in upper case. X-verbs are RFC 775's names, still sent by some clients. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = Object.freeze({
  USER: { handler: handleUser, phase: 'any', arg: 'required' },
  PASS: { handler: handlePass, phase: 'any', arg: 'optional' },
  QUIT: { handler: handleQuit, phase: 'any', arg: 'none', urgent: true },
  NOOP: { handler: handleNoop, phase: 'any', arg: 'none', urgent: true },
  SYST: { handler: handleSyst, phase: 'any', arg: 'none' },
  FEAT: { handler: handleFeat, phase: 'any', arg: 'none' },
  OPTS: { handler: handleOpts, phase: 'any', arg: 'required' },
  HELP: { handler: handleHelp, phase: 'any', arg: 'optional' },
  AUTH: { handler: handleAuth, phase: 'any', arg: 'required' },
  PBSZ: { handler: handlePbsz, phase: 'any', arg: 'required' },
  PROT: { handler: handleProt, phase: 'any', arg: 'required' },
  REIN: { handler: notImplemented('REIN'), phase: 'postlogin', arg: 'none' },
  ACCT: { handler: notImplemented('ACCT'), phase: 'postlogin', arg: 'optional' },
  SMNT: { handler: notImplemented('SMNT'), phase: 'postlogin', arg: 'optional' },
  STAT: { handler: stat, phase: 'postlogin', arg: 'optional', urgent: true, paths: listingPath },
  PWD: { handler: handlePwd, phase: 'postlogin', arg: 'none' },
  XPWD: { handler: handlePwd, phase: 'postlogin', arg: 'none' },
  CWD: { handler: handleCwd, phase: 'postlogin', arg: 'required', paths: wholeArg },
  XCWD: { handler: handleCwd, phase: 'postlogin', arg: 'required', paths: wholeArg },
  CDUP: { handler: handleCdup, phase: 'postlogin', arg: 'none' },
  XCUP: { handler: handleCdup, phase: 'postlogin', arg: 'none' },
  MKD: { handler: handleMkd, phase: 'postlogin', arg: 'required', write: 'mkdir', paths: wholeArg },
  XMKD: { handler: handleMkd, phase: 'postlogin', arg: 'required', write: 'mkdir', paths: wholeArg },
  RMD: { handler: handleRmd, phase: 'postlogin', arg: 'required', write: 'other', paths: wholeArg },
  XRMD: { handler: handleRmd, phase: 'postlogin', arg: 'required', write: 'other', paths: wholeArg },
  DELE: { handler: handleDele, phase: 'postlogin', arg: 'required', write: 'other', paths: wholeArg },
  RNFR: { handler: handleRnfr, phase: 'postlogin', arg: 'required', write: 'other', paths: wholeArg },
  RNTO: { handler: handleRnto, phase: 'postlogin', arg: 'required', write: 'other', paths: wholeArg },
  SIZE: { handler: handleSize, phase: 'postlogin', arg: 'required', paths: wholeArg },
  MDTM: { handler: handleMdtm, phase: 'postlogin', arg: 'required', paths: mdtmPath },
  MFMT: { handler: handleMfmt, phase: 'postlogin', arg: 'required', write: 'other', paths: mfmtPath },
  SITE: { handler: handleSite, phase: 'postlogin', arg: 'required', paths: sitePath },
  TYPE: { handler: handleType, phase: 'postlogin', arg: 'required' },
  MODE: { handler: handleMode, phase: 'postlogin', arg: 'required' },
  STRU: { handler: handleStru, phase: 'postlogin', arg: 'required' },
  ALLO: { handler: handleAllo, phase: 'postlogin', arg: 'optional' },
  REST: { handler: handleRest, phase: 'postlogin', arg: 'required' },
  PORT: { handler: handlePort, phase: 'postlogin', arg: 'required', enabled: portEnabled },
  EPRT: { handler: handleEprt, phase: 'postlogin', arg: 'required', enabled: portEnabled },
  PASV: { handler: handlePasv, phase: 'postlogin', arg: 'none', enabled: pasvEnabled },
  EPSV: { handler: handleEpsv, phase: 'postlogin', arg: 'optional', enabled: pasvEnabled },
  RETR: { handler: handleRetr, phase: 'postlogin', arg: 'required', data: true, enabled: downloadEnabled, paths: wholeArg },
  STOR: { handler: handleStor, phase: 'postlogin', arg: 'required', write: 'upload', data: true, paths: wholeArg },
  STOU: { handler: handleStou, phase: 'postlogin', arg: 'optional', write: 'upload', data: true, paths: wholeArg },
  APPE: { handler: handleAppe, phase: 'postlogin', arg: 'required', write: 'other', data: true, paths: wholeArg },
  ABOR: { handler: handleAbor, phase: 'postlogin', arg: 'none', urgent: true },
  LIST: { handler: handleList, phase: 'postlogin', arg: 'optional', data: true, enabled: dirlistEnabled, paths: listingPath },
  NLST: { handler: handleNlst, phase: 'postlogin', arg: 'optional', data: true, enabled: dirlistEnabled, paths: listingPath },
  MLSD: { handler: handleMlsd, phase: 'postlogin', arg: 'optional', data: true, enabled: dirlistEnabled, paths: wholeArg },
  MLST: { handler: handleMlst, phase: 'postlogin', arg: 'optional', paths: wholeArg },
} satisfies Record<string, CommandSpec>);

/** The entry of a verb (upper case), or undefined for a verb miniftp does not know. */
export function lookupCommand(verb: string): CommandSpec | undefined {
  return Object.hasOwn(COMMANDS, verb) ? COMMANDS[verb] : undefined;
}
