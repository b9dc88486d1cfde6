// Directory commands: PWD/XPWD, CWD/XCWD, CDUP/XCUP, MKD/XMKD, RMD/XRMD.
// Runs in a worker, as the session's user.
import fs from 'node:fs';
import { quotePathname, ReplyCode } from '../../../ftp/index.js';
import type { SessionContext } from '../session-context.js';
import { messageLines, readMessageFile } from '../message-text.js';

/** PWD: the current directory, quoted as RFC 959 appendix II asks. */
export function handlePwd(ctx: SessionContext): void {
  ctx.reply(ReplyCode.PathnameCreated, `${quotePathname(ctx.state.cwd)} is the current directory`);
}

/** CWD: enters a directory the user may search; the new current directory is its physical path; with dirmessage_enable, its message_file comes in the reply. */
export async function handleCwd(ctx: SessionContext, arg: string): Promise<void> {
  try {
    const real = await fs.promises.realpath(await ctx.fs.follow(ctx.fs.resolve(arg)));
    if (!(await fs.promises.stat(real)).isDirectory()) throw new Error('not a directory');
    await fs.promises.access(real, fs.constants.X_OK);
    const view = await ctx.fs.toView(real);
    if (view === null) throw new Error('outside the root');
    ctx.state.cwd = view;
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Failed to change directory.');
    return;
  }
  ctx.reply(ReplyCode.FileActionOk, [...(await directoryMessage(ctx)), 'Directory successfully changed.']);
}

// dirmessage_enable: the lines of message_file in the current directory, if it is there and readable.
async function directoryMessage(ctx: SessionContext): Promise<string[]> {
  if (!ctx.options.dirmessageEnable) return [];
  try {
    return messageLines(await readMessageFile(await ctx.fs.follow(ctx.fs.resolve(ctx.options.messageFile))));
  } catch {
    return [];
  }
}

/** CDUP: CWD to the parent ("/" stays "/"). */
export function handleCdup(ctx: SessionContext): Promise<void> {
  return handleCwd(ctx, '..');
}

/** MKD: creates a directory with mode 0777 & ~umask; 257 with its path. */
export async function handleMkd(ctx: SessionContext, arg: string): Promise<void> {
  const view = ctx.fs.resolve(arg);
  const mode = 0o777 & ~ctx.state.umask;
  let ok = false;
  try {
    const real = await ctx.fs.entry(view);
    await fs.promises.mkdir(real, mode);
    // The process umask must not narrow the session's own (SITE UMASK).
    await fs.promises.chmod(real, mode);
    ok = true;
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Create directory operation failed.');
  }
  if (ok) ctx.reply(ReplyCode.PathnameCreated, `${quotePathname(view)} created`);
  ctx.log({ type: 'action', action: 'mkdir', path: view, ok });
}

/** RMD: removes an empty directory. */
export async function handleRmd(ctx: SessionContext, arg: string): Promise<void> {
  const view = ctx.fs.resolve(arg);
  let ok = false;
  try {
    if (view === '/') throw new Error('the root stays');
    await fs.promises.rmdir(await ctx.fs.entry(view));
    ok = true;
    ctx.reply(ReplyCode.FileActionOk, 'Remove directory operation successful.');
  } catch {
    ctx.reply(ReplyCode.FileUnavailable, 'Remove directory operation failed.');
  }
  ctx.log({ type: 'action', action: 'rmdir', path: view, ok });
}
