// LIST -a: how a server without MLSD is asked for dot files. vsftpd and
// pure-ftpd hide them from LIST and show them, with `.` and `..`, for
// `LIST -a`; other servers take `-a dir` for a path (pyftpdlib: 550) or
// ignore it. The first answer that tells which says it for the server, and
// every client of a pool shares what it learnt. Unprivileged client code.
import { FtpError, namesListedDirectory, parseList, type FileInfo } from '../../ftp/index.js';

/** What is known of a server's LIST. Shared by the clients of one server (a pool's). */
export interface ListSupport {
  /** `LIST -a` lists dot files: true, false, or undefined until an answer told. */
  all?: boolean;
}

/** The text that LIST with this argument sends. */
export type ListText = (arg: string) => Promise<string>;

// Replies that refuse `-a dir` as a name or an argument rather than fail the transfer.
const REFUSALS = new Set([450, 500, 501, 502, 504, 550]);

function listsListedDirectory(text: string): boolean {
  return text.split('\n').some((line) => namesListedDirectory(line.endsWith('\r') ? line.slice(0, -1) : line));
}

function withAll(path: string): string {
  return path === '' ? '-a' : `-a ${path}`;
}

/**
 * The entries of `path` with dot files where the server can show them:
 * `LIST -a` once known to work, plain LIST once known not to, and until
 * then `LIST -a`, judged by its answer. A `.` entry means it was honoured;
 * entries without one, that the server ignored `-a`. A refusal, or nothing
 * listed, may also be a directory that is not there: plain LIST is asked,
 * and tells that `-a` was not honoured only when it lists something
 * (or, after a refusal, succeeds).
 * @throws as `listText`; FtpProtocolError for a listing no parser knows
 */
export async function listAll(support: ListSupport, path: string, listText: ListText): Promise<FileInfo[]> {
  if (support.all === true) return parseList(await listText(withAll(path)));
  if (support.all === false) return parseList(await listText(path));
  let text: string;
  try {
    text = await listText(withAll(path));
  } catch (err) {
    if (!(err instanceof FtpError) || !REFUSALS.has(err.code)) throw err;
    const plain = parseList(await listText(path));
    support.all = false;
    return plain;
  }
  const entries = parseList(text);
  if (listsListedDirectory(text)) {
    support.all = true;
    return entries;
  }
  if (entries.length > 0) {
    support.all = false;
    return entries;
  }
  const plain = parseList(await listText(path));
  if (plain.length > 0) support.all = false;
  return plain;
}
