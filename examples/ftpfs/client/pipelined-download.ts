// A download into a file started with one write: EPSV, REST and RETR
// pipelined, for a server known to take EPSV. The server answers them in
// order, so the first byte comes after one round trip instead of three.
// Its data is read only once REST's reply says it starts where asked.
// Unprivileged client code.
import type { FdHandle } from 'privsep';
import { FtpError, parseEpsvReply, ReplyCode, type Reply } from '../../ftp/index.js';
import type { DataCommandSupport, DataConnection } from './data-connection.js';
import { connectRaw, type RawDataSocket } from './raw-data.js';
import { receiveToFile } from './transfer.js';
import type { FtpTransport } from './transport.js';

/** What a pipelined download reports, and what can stop it. */
export interface PipelinedDownload {
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number) => void) | undefined;
  /** Told when the server refused EPSV or REST: later downloads go step by step. */
  support: DataCommandSupport;
  /** A data connection made ahead (EPSV answered): no EPSV is sent when it connected. */
  ahead?: DataConnection<RawDataSocket> | null | undefined;
}

function check(reply: Reply, code: number): void {
  if (reply.code !== code) throw new FtpError(reply.code, reply.text);
}

/** The data connection made ahead, once connected; null (and closed) when connecting failed. */
async function connectedAhead(ahead: DataConnection<RawDataSocket> | null | undefined): Promise<DataConnection<RawDataSocket> | null> {
  if (!ahead) return null;
  try {
    await ahead.socket();
    return ahead;
  } catch {
    ahead.close();
    return null;
  }
}

/**
 * Downloads `path` from byte `start` on into `file` at `start`, as
 * receiveToFile() does after EPSV and REST, with the commands sent at once
 * (without EPSV when a data connection made ahead is connected: the server
 * sends the file on it; should it answer 425, having dropped that one, the
 * download starts over with EPSV). A refused EPSV or REST closes the
 * control connection: the RETR is on its way (from the file's first byte,
 * or waiting for a data connection that never comes), and a new session is
 * the sure way past it; `options.support.pipelining` is then false.
 * @returns the bytes received
 * @throws FtpError for a refused EPSV, REST or RETR; as receiveToFile()
 */
export async function pipelinedDownloadToFile(t: FtpTransport, path: string, file: FdHandle, start: number, options: PipelinedDownload): Promise<number> {
  const ahead = await connectedAhead(options.ahead);
  if (!ahead) return download(t, path, file, start, options, null);
  try {
    return await download(t, path, file, start, options, ahead);
  } catch (err) {
    if (!(err instanceof FtpError) || err.code !== ReplyCode.CannotOpenDataConnection || t.closed) throw err;
    return download(t, path, file, start, options, null);
  }
}

async function download(t: FtpTransport, path: string, file: FdHandle, start: number, options: PipelinedDownload, ahead: DataConnection<RawDataSocket> | null): Promise<number> {
  const commands: Array<[string, string?]> = ahead ? [] : [['EPSV']];
  if (start > 0) commands.push(['REST', String(start)]);
  commands.push(['RETR', path]);
  const replies = t.requestAll(commands);
  for (const reply of replies) reply.catch(() => {});
  let data = ahead;
  try {
    if (!data) {
      const epsv = await replies[0]!;
      check(epsv, ReplyCode.EnteringExtendedPassiveMode);
      data = connectRaw(t.remoteAddress, parseEpsvReply(epsv.text), t.timeoutMs);
    }
    if (start > 0) check(await replies[replies.length - 2]!, ReplyCode.PendingFurtherInformation);
  } catch (err) {
    data?.close();
    t.close();
    if (err instanceof FtpError && err.code !== ReplyCode.ServiceNotAvailable) options.support.pipelining = false;
    throw err;
  }
  const { signal, onProgress } = options;
  return receiveToFile(t, { verb: 'RETR', arg: path, data, signal, onProgress, sent: replies[replies.length - 1] }, file, start);
}
