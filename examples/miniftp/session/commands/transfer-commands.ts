// File transfers: RETR, STOR, APPE, STOU (with REST for RETR and STOR), and
// ABOR. Files are opened here, as the session's user; the bytes move in
// transfer-io.ts and the command's life runs in run-transfer.ts.
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { FdHandle } from 'privsep';
import type { SessionContext } from '../session-context.js';
import { runTransfer } from '../run-transfer.js';
import { receiveFile, receiveFileBinary, sendFileAscii, sendFileBinary } from '../transfer-io.js';
import { ReplyCode } from '../../../ftp/index.js';

const openFile = promisify(fs.open);
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NONBLOCK, O_NOFOLLOW } = fs.constants;

// STOU tries this many names before it gives up.
const UNIQUE_ATTEMPTS = 1000;

function noDataConnection(ctx: SessionContext): boolean {
  if (ctx.data.configured) return false;
  ctx.reply(ReplyCode.CannotOpenDataConnection, 'Use PORT or PASV first.');
  return true;
}

// O_NONBLOCK: opening a FIFO must not hang the thread pool (the fstat below
// refuses it). O_NOFOLLOW under an emulated root: the path was resolved
// already, so a link appearing now is a race being played.
function openFlags(ctx: SessionContext, flags: number): number {
  return flags | O_NONBLOCK | (ctx.fs.root === null ? 0 : O_NOFOLLOW);
}

/** RETR: sends a regular file (from the REST offset in binary mode). */
export async function handleRetr(ctx: SessionContext, arg: string): Promise<void> {
  const offset = ctx.state.restartOffset;
  ctx.state.restartOffset = 0;
  if (noDataConnection(ctx)) return;
  const ascii = ctx.state.type === 'ascii';
  if (ascii && offset !== 0) {
    ctx.reply(ReplyCode.FileUnavailable, 'No support for resume of ASCII transfer.');
    return;
  }
  const view = ctx.fs.resolve(arg);
  let file: FdHandle | null = null;
  let size: number;
  try {
    // The open may wait on the disk (the path's lookup): off the event loop.
    // fstat and close of the open file are kernel work on its inode: done
    // here, each a thread pool round trip less.
    file = new FdHandle(await openFile(await ctx.fs.follow(view), openFlags(ctx, O_RDONLY)));
    const stats = file.stat();
    if (!stats.isFile()) throw new Error('not a regular file');
    // anon_world_readable_only: what an anonymous user may read must be everyone's to read.
    if (ctx.state.anonymous && ctx.options.anonWorldReadableOnly && (stats.mode & 0o004) === 0) throw new Error('not world-readable');
    size = stats.size;
  } catch {
    file?.close();
    ctx.reply(ReplyCode.FileUnavailable, 'Failed to open file.');
    return;
  }
  const opened = file;
  const length = Math.max(0, size - offset);
  await runTransfer(ctx, {
    direction: 'download',
    path: view,
    mark: `Opening ${ascii ? 'ASCII' : 'BINARY'} mode data connection for ${arg} (${size} bytes).`,
    done: 'Transfer complete.',
    announceLate: !ascii,
    move: (data, transfer, announce) => (ascii ? sendFileAscii(data, opened.fd, transfer) : sendFileBinary(data, opened.fd, offset, length, transfer, announce)),
    cleanup: async () => opened.close(),
  });
}

type UploadKind = 'store' | 'append' | 'unique';

interface OpenedUpload {
  file: FileHandle;
  /** Where writing starts; null: at the end (appending). */
  position: number | null;
  /** The name STOU chose, as the client should call it. */
  name: string;
}

// An upload that created its file and then could not start (chown_uploads
// refused) leaves no empty file behind; the name is removed only while it
// still names the file this upload opened.
async function removeIfSame(real: string, file: FileHandle): Promise<void> {
  try {
    const [opened, named] = await Promise.all([file.stat(), fs.promises.lstat(real)]);
    if (opened.ino === named.ino && opened.dev === named.dev) await fs.promises.unlink(real);
  } catch {
    // Gone already, or not ours to remove.
  }
}

// Opens (creating when needed, with file_open_mode & ~umask exactly) the file an upload writes.
async function openUpload(ctx: SessionContext, arg: string, kind: UploadKind, offset: number): Promise<OpenedUpload> {
  const mode = ctx.options.fileOpenMode & ~ctx.state.umask;
  // An anonymous user without anon_other_write_enable may only add new files, never overwrite.
  const createOnly = ctx.state.anonymous && !ctx.options.anonOtherWriteEnable;
  let file: FileHandle;
  /** The real path of a file this upload created: removed again when the upload cannot start. */
  let created: string | null = null;
  let name = arg;
  if (kind === 'unique') {
    const base = arg === '' ? 'file' : arg;
    for (let n = 1; ; n++) {
      name = `${base}.${n}`;
      const real = await ctx.fs.entry(ctx.fs.resolve(name));
      try {
        file = await fs.promises.open(real, openFlags(ctx, O_WRONLY | O_CREAT | O_EXCL), mode);
        created = real;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= UNIQUE_ATTEMPTS) throw err;
      }
    }
  } else {
    const real = await ctx.fs.target(ctx.fs.resolve(arg));
    // An existing file is emptied only once the upload may start (below), never by the open.
    const flags = O_WRONLY | O_CREAT | (kind === 'append' ? O_APPEND : 0);
    try {
      file = await fs.promises.open(real, openFlags(ctx, flags | O_EXCL), mode);
      created = real;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || createOnly) throw err;
      file = await fs.promises.open(real, openFlags(ctx, flags), mode);
    }
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new Error('not a regular file');
    // The process umask must not narrow the session's own.
    if (created !== null) await file.chmod(mode);
    if (ctx.state.anonymous && ctx.options.chownUploads) {
      if (!ctx.host.chownUpload) throw new Error('chown_uploads needs a host that can chown');
      await ctx.host.chownUpload(file);
    }
    if (created === null && kind === 'store' && offset === 0) await file.truncate(0);
  } catch (err) {
    if (created !== null) await removeIfSame(created, file);
    await file.close().catch(() => {});
    throw err;
  }
  return { file, position: kind === 'append' ? null : offset, name };
}

async function upload(ctx: SessionContext, arg: string, kind: UploadKind): Promise<void> {
  const offset = kind === 'store' ? ctx.state.restartOffset : 0;
  ctx.state.restartOffset = 0;
  if (noDataConnection(ctx)) return;
  let opened: OpenedUpload;
  try {
    opened = await openUpload(ctx, arg, kind, offset);
  } catch {
    ctx.reply(ReplyCode.FileNameNotAllowed, 'Could not create file.');
    return;
  }
  const ascii = ctx.state.type === 'ascii';
  await runTransfer(ctx, {
    direction: 'upload',
    path: ctx.fs.resolve(opened.name),
    mark: kind === 'unique' ? `FILE: ${path.posix.basename(opened.name)}` : 'Ok to send data.',
    done: 'Transfer complete.',
    // Binary uploads at a known offset go zero-copy; ASCII needs the bytes,
    // APPE keeps O_APPEND (which splice refuses), and a sealed TLS upload its seal checked.
    move: (data, transfer) => (!ascii && opened.position !== null && !data.sealed
      ? receiveFileBinary(data, opened.file, opened.position, transfer)
      : receiveFile(data, opened.file, opened.position, ascii, transfer)),
    cleanup: () => opened.file.close(),
  });
}

/** STOR: writes a file (from the REST offset, keeping what lies before it). */
export function handleStor(ctx: SessionContext, arg: string): Promise<void> {
  return upload(ctx, arg, 'store');
}

/** APPE: appends to a file, creating it when missing. */
export function handleAppe(ctx: SessionContext, arg: string): Promise<void> {
  return upload(ctx, arg, 'append');
}

/** STOU: writes a file under a new unique name (`name.1`, `name.2`, ...), given in the 150 reply. */
export function handleStou(ctx: SessionContext, arg: string): Promise<void> {
  return upload(ctx, arg, 'unique');
}

/**
 * ABOR: stops the transfer in progress (426 for it, then 226), whether or
 * not the client sent Telnet IP and Synch first; without one, 225.
 */
export function handleAbor(ctx: SessionContext): void {
  if (ctx.transfer) ctx.transfer.stop('abor');
  else ctx.reply(ReplyCode.DataConnectionOpen, 'No transfer to ABOR.');
}
