// Commands on single files: DELE, RNFR, RNTO, SIZE, MDTM (reading and, with
// mdtm_write, setting), MFMT, and SITE (CHMOD, UMASK, HELP). Runs in a worker, as the session's user.
import fs from 'node:fs';
import { formatTimeVal, parseTimeVal, ReplyCode } from '../../../ftp/index.js';
import type { EngineOptions } from '../engine-options.js';
import { asciiSize } from '../ascii.js';
import type { SessionContext } from '../session-context.js';

// SIZE in ASCII mode reads the file to count its line ends; beyond this it refuses.
const ASCII_SIZE_LIMIT = 1 << 20;

/** DELE: removes a file (not a directory); a symbolic link itself, not its target. */
export async function handleDele(ctx: SessionContext, arg: string): Promise<void> {
  const view = ctx.fs.resolve(arg);
  let ok = false;
  try {
    const real = await ctx.fs.entry(view);
    if ((await fs.promises.lstat(real)).isDirectory()) throw new Error('a directory');
    await fs.promises.unlink(real);
    ok = true;
    ctx.reply(ReplyCode.FileActionOk, 'Delete operation successful.');
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Delete operation failed.');
  }
  ctx.log({ type: 'action', action: 'delete', path: view, ok });
}

/** RNFR: remembers an existing path for the RNTO that must follow. */
export async function handleRnfr(ctx: SessionContext, arg: string): Promise<void> {
  const view = ctx.fs.resolve(arg);
  try {
    if (view === '/') throw new Error('the root stays');
    await fs.promises.lstat(await ctx.fs.entry(view));
    ctx.state.renameFrom = view;
    ctx.reply(ReplyCode.PendingFurtherInformation, 'Ready for RNTO.');
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'RNFR command failed.');
  }
}

/** RNTO: renames what RNFR named (it may replace a file, as DELE could remove it). */
export async function handleRnto(ctx: SessionContext, arg: string): Promise<void> {
  const from = ctx.state.renameFrom;
  ctx.state.renameFrom = null;
  if (from === null) {
    ctx.reply(ReplyCode.BadSequence, 'RNFR required first.');
    return;
  }
  const to = ctx.fs.resolve(arg);
  let ok = false;
  try {
    if (to === '/') throw new Error('the root stays');
    await fs.promises.rename(await ctx.fs.entry(from), await ctx.fs.entry(to));
    ok = true;
    ctx.reply(ReplyCode.FileActionOk, 'Rename successful.');
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Rename failed.');
  }
  ctx.log({ type: 'action', action: 'rename', path: `${from} ${to}`, ok });
}

async function regularFile(ctx: SessionContext, arg: string): Promise<{ real: string; stats: fs.Stats }> {
  const real = await ctx.fs.follow(ctx.fs.resolve(arg));
  const stats = await fs.promises.stat(real);
  if (!stats.isFile()) throw new Error('not a regular file');
  return { real, stats };
}

/**
 * SIZE (RFC 3659 4): the bytes a RETR would send in the current TYPE. In
 * ASCII mode that needs the line ends counted, so only files up to 1 MiB
 * get an answer there (vsftpd never counts; RFC 3659 allows a 550).
 */
export async function handleSize(ctx: SessionContext, arg: string): Promise<void> {
  let size: number;
  try {
    const { real, stats } = await regularFile(ctx, arg);
    if (ctx.state.type === 'binary') size = stats.size;
    else if (stats.size <= ASCII_SIZE_LIMIT) size = asciiSize(await fs.promises.readFile(real));
    else {
      ctx.reply(ReplyCode.FileUnavailable, 'SIZE not available in ASCII mode for files over 1 MiB; use TYPE I.');
      return;
    }
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Could not get file size.');
    return;
  }
  ctx.reply(ReplyCode.FileStatus, String(size));
}

/**
 * What an MDTM argument asks: with mdtm_write, `YYYYMMDDHHMMSS path` (14
 * digits and a space, as vsftpd reads it) sets the time; anything else is
 * a path whose time is asked for.
 */
export function mdtmArgs(arg: string, options: EngineOptions): { time: string | null; path: string } {
  const set = options.mdtmWrite ? /^(\d{14}) (.+)$/.exec(arg) : null;
  return set ? { time: set[1]!, path: set[2]! } : { time: null, path: arg };
}

// Sets the modification time of a regular file (or, for MFMT, a directory), leaving its access time.
async function setModificationTime(ctx: SessionContext, arg: string, time: Date, directoryToo: boolean): Promise<boolean> {
  try {
    const real = await ctx.fs.follow(ctx.fs.resolve(arg));
    const stats = await fs.promises.stat(real);
    if (!stats.isFile() && !(directoryToo && stats.isDirectory())) return false;
    await fs.promises.utimes(real, stats.atime, time);
    return true;
  } catch {
    return false;
  }
}

/**
 * MDTM path (RFC 3659 3): the modification time, UTC, as YYYYMMDDHHMMSS.
 * MDTM YYYYMMDDHHMMSS path (vsftpd's mdtm_write): sets it (UTC), with the
 * permission DELE needs.
 */
export async function handleMdtm(ctx: SessionContext, arg: string): Promise<void> {
  const { time, path } = mdtmArgs(arg, ctx.options);
  if (time !== null) {
    const date = parseTimeVal(time);
    if (!ctx.mayWrite('other')) ctx.reply(ReplyCode.FileUnavailable, 'Permission denied.');
    else if (date === null) ctx.reply(ReplyCode.SyntaxErrorInArguments, 'Bad time value.');
    else if (await setModificationTime(ctx, path, date, false)) ctx.reply(ReplyCode.FileStatus, 'File modification time set.');
    else ctx.reply(ReplyCode.FileUnavailable, 'Could not set file modification time.');
    return;
  }
  try {
    const { stats } = await regularFile(ctx, path);
    ctx.reply(ReplyCode.FileStatus, formatTimeVal(stats.mtime));
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Could not get file modification time.');
  }
}

/**
 * MFMT YYYYMMDDHHMMSS[.sss] path (draft-somers-ftp-mfxx): sets the
 * modification time (UTC) of a file or directory; 213 Modify=time; path.
 */
export async function handleMfmt(ctx: SessionContext, arg: string): Promise<void> {
  const space = arg.indexOf(' ');
  const date = space === -1 ? null : parseTimeVal(arg.slice(0, space));
  const path = space === -1 ? '' : arg.slice(space + 1);
  if (date === null || path === '') {
    ctx.reply(ReplyCode.SyntaxErrorInArguments, 'MFMT needs a time (YYYYMMDDHHMMSS) and a path.');
    return;
  }
  if (await setModificationTime(ctx, path, date, true)) ctx.reply(ReplyCode.FileStatus, `Modify=${formatTimeVal(date)}; ${path}`);
  else ctx.reply(ReplyCode.FileUnavailable, 'Could not set file modification time.');
}

const octal = /^[0-7]{1,4}$/;

async function siteChmod(ctx: SessionContext, args: string): Promise<void> {
  if (!ctx.options.chmodEnable || !ctx.mayWrite('other')) {
    ctx.reply(ReplyCode.FileUnavailable, 'Permission denied.');
    return;
  }
  const space = args.indexOf(' ');
  const modeText = space === -1 ? '' : args.slice(0, space);
  const file = space === -1 ? '' : args.slice(space + 1);
  if (file === '' || !octal.test(modeText)) {
    ctx.reply(ReplyCode.SyntaxErrorInArguments, 'SITE CHMOD needs 2 arguments: an octal mode and a path.');
    return;
  }
  const view = ctx.fs.resolve(file);
  let ok = false;
  try {
    // Permission bits only: never setuid, setgid or sticky from a client.
    await fs.promises.chmod(await ctx.fs.target(view), parseInt(modeText, 8) & 0o777);
    ok = true;
    ctx.reply(ReplyCode.Ok, 'SITE CHMOD command ok.');
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'SITE CHMOD command failed.');
  }
  ctx.log({ type: 'action', action: 'chmod', path: view, ok });
}

function siteUmask(ctx: SessionContext, args: string): void {
  const show = (mask: number) => mask.toString(8).padStart(4, '0');
  if (args === '') {
    ctx.reply(ReplyCode.Ok, `Your current UMASK is ${show(ctx.state.umask)}`);
  } else if (octal.test(args) && parseInt(args, 8) <= 0o777) {
    ctx.state.umask = parseInt(args, 8);
    ctx.reply(ReplyCode.Ok, `UMASK set to ${show(ctx.state.umask)}`);
  } else {
    ctx.reply(ReplyCode.SyntaxErrorInArguments, 'SITE UMASK needs an octal mask 0..777.');
  }
}

const SITE_COMMANDS: Readonly<Record<string, (ctx: SessionContext, args: string) => void | Promise<void>>> = {
  CHMOD: siteChmod,
  UMASK: siteUmask,
  HELP: (ctx) => ctx.reply(ReplyCode.HelpMessage, 'CHMOD UMASK HELP'),
};

/** SITE CHMOD mode path, SITE UMASK [mask], SITE HELP; none for anonymous sessions (as vsftpd). */
export async function handleSite(ctx: SessionContext, arg: string): Promise<void> {
  if (ctx.state.anonymous) {
    ctx.reply(ReplyCode.FileUnavailable, 'Permission denied.');
    return;
  }
  const space = arg.indexOf(' ');
  const sub = (space === -1 ? arg : arg.slice(0, space)).toUpperCase();
  const handler = Object.hasOwn(SITE_COMMANDS, sub) ? SITE_COMMANDS[sub] : undefined;
  if (handler) await handler(ctx, space === -1 ? '' : arg.slice(space + 1).trim());
  else ctx.reply(ReplyCode.SyntaxError, 'Unknown SITE command.');
}
