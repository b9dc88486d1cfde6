// Listings: LIST (ls -l, as vsftpd), NLST (names), MLSD and MLST (RFC 3659
// facts), and STAT with a path (a listing on the control connection).
// Runs in a worker, as the session's user.
import fs from 'node:fs';
import path from 'node:path';
import { formatMlsxLine, isDirectoryMode, isFileMode, ListFormatter, mlsxTypeOfMode, MlsxFormatter, ReplyCode, type IdDisplay } from '../../../ftp/index.js';
import { LstatField, type DirectoryStats } from 'privsep';
import { PermFacts, TooManyEntriesError, listEntry, type IdShowing, mlsxEntry, permFact, processIds, readDirectory, statNames, type NamesRead, type StatedEntry, type StatedNames } from '../directory-listing.js';
import { Glob, PatternError, filterNames, isPattern, yieldToEventLoop } from '../glob.js';
import type { SessionContext } from '../session-context.js';
import { visibleNames } from '../policy.js';
import { readTree, treeLines } from '../recursive-listing.js';
import { runTransfer } from '../run-transfer.js';
import { sendText } from '../transfer-io.js';

/** What a LIST, NLST or STAT argument asks for. */
interface ListTarget {
  /** The real directory whose entries are listed, or null when it could not be opened. */
  realDir: string | null;
  /** The directory in the session's view. */
  viewDir: string;
  /** The names to list, sorted. */
  names: string[];
  /** realDir as read (every entry's lstat), when it was. */
  read: DirectoryStats | null;
  /** NLST's prefix for each name: the directory as the client named it. */
  prefix: string;
}

// vsftpd's reading: options come first ("-la dir"); anything after a space is the path.
export function splitOptions(arg: string): { options: string; path: string } {
  if (!arg.startsWith('-')) return { options: '', path: arg };
  const space = arg.indexOf(' ');
  return space === -1 ? { options: arg.slice(1), path: '' } : { options: arg.slice(1, space), path: arg.slice(space + 1) };
}

// "a/b/c" -> "a/b/", "c" -> "": what NLST puts before the names it found.
function directoryPart(given: string): string {
  return given.slice(0, given.lastIndexOf('/') + 1);
}

/**
 * The names a listing shows of a real directory: dotfiles with `dotfiles`
 * (then "." and ".." too) or force_dot_files (without them, as vsftpd), less
 * hide_file's matches.
 * @throws the opendir errors; TooManyEntriesError
 */
async function shownNames(ctx: SessionContext, realDir: string, dotfiles: boolean): Promise<NamesRead> {
  const { names, read } = await readDirectory(realDir, dotfiles || ctx.options.forceDotFiles, ctx.options.maxListingEntries);
  return { names: visibleNames(ctx.options, dotfiles ? names : names.filter((name) => name !== '.' && name !== '..')), read };
}

/**
 * The directory or file, or the pattern's matches, that a LIST, NLST or
 * STAT argument names; every name is read (and matched) here, in slices
 * that let the process's other sessions run.
 * @throws PatternError, TooManyEntriesError: the listing would be too big or too costly
 */
async function listTarget(ctx: SessionContext, arg: string, forceAll: boolean): Promise<ListTarget> {
  const { options, path: given } = splitOptions(arg);
  const all = forceAll || options.includes('a');
  const view = ctx.fs.resolve(given);
  const shown = (realDir: string, dotfiles: boolean): Promise<NamesRead> => shownNames(ctx, realDir, dotfiles);
  try {
    const real = await ctx.fs.follow(view);
    // Read as a directory straight away (no stat first): ENOTDIR says it is a file.
    try {
      return { realDir: real, viewDir: view, ...(await shown(real, all)), prefix: given === '.' ? '' : given };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    // A file: that entry alone, named as the client named it.
    return { realDir: await ctx.fs.follow(path.posix.dirname(view)), viewDir: path.posix.dirname(view), names: [path.posix.basename(view)], read: null, prefix: directoryPart(given) };
  } catch (err) {
    if (err instanceof TooManyEntriesError) throw err;
    // Not there as such: perhaps a pattern ("*.txt") in an existing directory.
  }
  const last = path.posix.basename(view);
  const parent = path.posix.dirname(view);
  if (given !== '' && view !== '/' && isPattern(last)) {
    const glob = new Glob(last);
    let realDir: string;
    let found: NamesRead;
    try {
      realDir = await ctx.fs.follow(parent);
      // As vsftpd: a pattern that starts with a dot shows dotfiles.
      found = await shown(realDir, all || last.startsWith('.'));
    } catch (err) {
      if (err instanceof TooManyEntriesError) throw err;
      return { realDir: null, viewDir: view, names: [], read: null, prefix: given };
    }
    const candidates = found.names.filter((name) => name !== '.' && name !== '..');
    return { realDir, viewDir: parent, names: await filterNames(candidates, glob), read: found.read, prefix: directoryPart(given) };
  }
  return { realDir: null, viewDir: view, names: [], read: null, prefix: given };
}

// A listing refused for its size or cost: the reply says which limit.
function refusedListing(ctx: SessionContext, err: unknown): boolean {
  if (!(err instanceof PatternError || err instanceof TooManyEntriesError)) return false;
  ctx.reply(ReplyCode.FileUnavailable, err.message);
  return true;
}

// The listed entries' lstat (none when the directory could not be opened).
async function statedOf(target: ListTarget): Promise<StatedNames | null> {
  if (target.realDir === null) return null;
  return statNames(target.realDir, target.names, target.viewDir === '/', target.read);
}

// Bytes of listing text sent in one write.
const CHUNK = 64 * 1024;

/** The lines `line(i)` gives for each entry of `stated`, each ended by CRLF, in pieces of about CHUNK bytes. */
export async function* chunkedLines(count: number, line: (i: number) => string): AsyncGenerator<string> {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += line(i) + '\r\n';
    if (out.length >= CHUNK) {
      yield out;
      out = '';
    }
  }
  if (out !== '') yield out;
}

function idShowing(ctx: SessionContext): IdShowing {
  return { hidden: ctx.options.hideIds, names: ctx.options.idNames };
}

function idDisplay(ctx: SessionContext): IdDisplay {
  return ctx.options.hideIds ? 'hidden' : ctx.options.idNames ? 'names' : 'numeric';
}

function listFormatter(ctx: SessionContext): ListFormatter {
  return new ListFormatter({ now: new Date(), ids: idDisplay(ctx), timeZone: ctx.options.useLocaltime ? 'local' : 'utc' });
}

// One `ls -l` line per entry.
function lineFormatter(ctx: SessionContext): (entry: StatedEntry) => string {
  const formatter = listFormatter(ctx);
  return (entry) => formatter.format(listEntry(entry, ctx.options.idNames));
}

async function* listLines(ctx: SessionContext, target: ListTarget): AsyncGenerator<string> {
  const stated = await statedOf(target);
  if (stated === null) return;
  const formatter = listFormatter(ctx);
  const ids = ctx.options.idNames;
  const { names, records, at, targets } = stated;
  yield* chunkedLines(names.length, (i) => {
    const r = at[i]!;
    const uid = records[r + LstatField.uid]!;
    const gid = records[r + LstatField.gid]!;
    return formatter.formatFacts(names[i]!, records[r + LstatField.mode]!, records[r + LstatField.nlink]!, uid, gid,
      records[r + LstatField.size]!, records[r + LstatField.mtimeMs]!, ids?.user(uid), ids?.group(gid), targets.get(i));
  });
}

async function* nameLines(_ctx: SessionContext, target: ListTarget): AsyncGenerator<string> {
  if (target.realDir === null) return;
  const prefix = target.prefix === '' || target.prefix.endsWith('/') ? target.prefix : `${target.prefix}/`;
  // Names need no lstat; between slices, the other sessions get their turn.
  for (let i = 0; i < target.names.length; i += 1024) {
    if (i > 0) await yieldToEventLoop();
    yield target.names.slice(i, i + 1024).map((name) => `${prefix}${name}\r\n`).join('');
  }
}

async function directoryListing(ctx: SessionContext, arg: string, lines: (ctx: SessionContext, target: ListTarget) => AsyncGenerator<string>): Promise<void> {
  if (!ctx.data.configured) {
    ctx.reply(ReplyCode.CannotOpenDataConnection, 'Use PORT or PASV first.');
    return;
  }
  let target: ListTarget;
  try {
    target = await listTarget(ctx, arg, false);
  } catch (err) {
    if (refusedListing(ctx, err)) return;
    throw err;
  }
  await runTransfer(ctx, {
    direction: 'listing',
    path: target.viewDir,
    mark: 'Here comes the directory listing.',
    // vsftpd's answer for a path that is not there: an empty listing, and this.
    done: target.realDir === null ? 'Transfer done (but failed to open directory).' : 'Directory send OK.',
    move: (data, transfer) => sendText(data, lines(ctx, target), transfer),
  });
}

/**
 * LIST [-options] [path]: `ls -l` lines; `-a` shows dotfiles; a pattern in
 * the last component filters; `-R` lists subdirectories too (ls_recurse_enable).
 */
export function handleList(ctx: SessionContext, arg: string): Promise<void> {
  if (ctx.options.lsRecurseEnable && splitOptions(arg).options.includes('R')) return recursiveListing(ctx, arg);
  return directoryListing(ctx, arg, listLines);
}

// LIST -R of a directory (anything else is listed as without -R).
async function recursiveListing(ctx: SessionContext, arg: string): Promise<void> {
  if (!ctx.data.configured) {
    ctx.reply(ReplyCode.CannotOpenDataConnection, 'Use PORT or PASV first.');
    return;
  }
  const { options, path: given } = splitOptions(arg);
  const view = ctx.fs.resolve(given);
  let real: string;
  try {
    real = await ctx.fs.follow(view);
    if (!(await fs.promises.stat(real)).isDirectory()) throw new Error('not a directory');
  } catch {
    return directoryListing(ctx, arg, listLines);
  }
  const dotfiles = options.includes('a');
  const tree = await readTree(ctx, { header: given === '' ? '.' : given, view, real }, (dir) => shownNames(ctx, dir, dotfiles));
  await runTransfer(ctx, {
    direction: 'listing',
    path: view,
    mark: 'Here comes the directory listing.',
    done: tree.cut === null ? 'Directory send OK.' : `Directory send OK, but ${tree.cut}.`,
    move: (data, transfer) => sendText(data, treeLines(tree, lineFormatter(ctx)), transfer),
  });
}

/** NLST [-options] [path]: names only, prefixed by the directory as the client named it. */
export function handleNlst(ctx: SessionContext, arg: string): Promise<void> {
  return directoryListing(ctx, arg, nameLines);
}

/** STAT path: the `ls -la` listing of it on the control connection (213). */
export async function handleStatPath(ctx: SessionContext, arg: string): Promise<void> {
  let target: ListTarget;
  try {
    target = await listTarget(ctx, arg, true);
  } catch (err) {
    if (refusedListing(ctx, err)) return;
    throw err;
  }
  const lines = ['Status follows:'];
  for await (const piece of listLines(ctx, target)) lines.push(...piece.split('\r\n').slice(0, -1));
  lines.push('End of status');
  ctx.reply(ReplyCode.FileStatus, lines);
}

async function mlsxTarget(ctx: SessionContext, arg: string): Promise<{ view: string; real: string; stats: fs.Stats } | null> {
  const view = ctx.fs.resolve(arg);
  try {
    const real = await ctx.fs.follow(view);
    return { view, real, stats: await fs.promises.stat(real) };
  } catch {
    return null;
  }
}

/** MLSD [dir] (RFC 3659 7): one fact line per entry of a directory, dotfiles included. */
export async function handleMlsd(ctx: SessionContext, arg: string): Promise<void> {
  if (!ctx.data.configured) {
    ctx.reply(ReplyCode.CannotOpenDataConnection, 'Use PORT or PASV first.');
    return;
  }
  const view = ctx.fs.resolve(arg);
  let real: string;
  let names: string[];
  let read: DirectoryStats;
  try {
    real = await ctx.fs.follow(view);
    // Read as a directory straight away (no stat first): ENOTDIR says it is not one.
    read = (await readDirectory(real, false, ctx.options.maxListingEntries)).read;
    // Dotfiles included, "." and ".." not.
    names = visibleNames(ctx.options, read.names);
  } catch (err) {
    if (refusedListing(ctx, err)) return;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') ctx.reply(ReplyCode.SyntaxErrorInArguments, 'MLSD needs a directory; use MLST for a file.');
    else ctx.reply(ReplyCode.FileUnavailable, 'Failed to open directory.');
    return;
  }
  const writable = ctx.options.writeEnable;
  const formatter = new MlsxFormatter(ctx.state.mlstFacts);
  const showing = idShowing(ctx);
  async function* lines(): AsyncGenerator<string> {
    const perms = new PermFacts(writable, processIds());
    const stated = await statNames(real, names, false, read);
    const { records, at } = stated;
    const shown = !showing.hidden;
    yield* chunkedLines(stated.names.length, (i) => {
      const r = at[i]!;
      const mode = records[r + LstatField.mode]!;
      const uid = records[r + LstatField.uid]!;
      const gid = records[r + LstatField.gid]!;
      const size = isFileMode(mode) || isDirectoryMode(mode) ? records[r + LstatField.size]! : undefined;
      return formatter.formatFacts(stated.names[i]!, mlsxTypeOfMode(mode), size, records[r + LstatField.mtimeMs]!, perms.ofFacts(mode, uid, gid),
        mode, shown ? uid : undefined, shown ? gid : undefined, shown ? showing.names?.user(uid) : undefined, shown ? showing.names?.group(gid) : undefined);
    });
  }
  await runTransfer(ctx, {
    direction: 'listing',
    path: view,
    mark: 'Here comes the directory listing.',
    done: 'Directory send OK.',
    move: (data, transfer) => sendText(data, lines(), transfer),
  });
}

/** MLST [path] (RFC 3659 7): the facts of one entry, on the control connection. */
export async function handleMlst(ctx: SessionContext, arg: string): Promise<void> {
  const found = await mlsxTarget(ctx, arg);
  if (!found) {
    ctx.reply(ReplyCode.FileUnavailable, 'Could not get file status.');
    return;
  }
  const perm = permFact(found.stats, ctx.options.writeEnable, processIds());
  const line = formatMlsxLine(mlsxEntry(found.view, found.stats, perm, idShowing(ctx)), ctx.state.mlstFacts);
  ctx.reply(ReplyCode.FileActionOk, [`Listing ${found.view}`, ` ${line}`, 'End']);
}
