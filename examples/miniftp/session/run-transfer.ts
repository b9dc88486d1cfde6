// The life of one transfer command (RETR, STOR, APPE, STOU, LIST, NLST,
// MLSD): data connection, 150, the bytes, close, then exactly one final
// reply (226, 425, 426 or 451; after ABOR, its 226) and the log event. An
// incomplete transfer is never reported as complete. Runs in a worker.
import { DataTlsError, type DataConnection } from './data-connection.js';
import type { SessionContext } from './session-context.js';
import type { Transfer, TransferDirection } from './transfer.js';
import { TransferError } from './transfer-io.js';
import { ReplyCode } from '../../ftp/index.js';

/** What a transfer command asks {@link runTransfer} to do. */
export interface TransferPlan {
  direction: TransferDirection;
  /** The file or directory, in the session's view (for the log and STAT). */
  path: string;
  /** The text of the 150 reply. */
  mark: string;
  /**
   * The 150 may wait until the move first has to wait for the client (it
   * calls `announce` then): a download that goes out at once sends its 150
   * with its 226, in one write. Never over TLS, whose handshake some
   * clients start only after the 150.
   */
  announceLate?: boolean;
  /** The text of the 226 reply. */
  done: string;
  /** Moves the bytes; rejects when the transfer fails. `announce` sends the 150 (once; see announceLate). */
  move(data: DataConnection, transfer: Transfer, announce: () => void): Promise<void>;
  /** Closes what the command opened (its file); runs whatever happened. */
  cleanup?(): Promise<void>;
}

type Outcome = 'ok' | 'no-connection' | 'tls-not-resumed' | 'network' | 'local';

const failureText: Record<Exclude<TransferDirection, 'listing'> | 'listing', { network: string; local: string }> = {
  download: { network: 'Failure writing network stream.', local: 'Failure reading local file.' },
  listing: { network: 'Failure writing network stream.', local: 'Failure reading directory.' },
  upload: { network: 'Failure reading network stream.', local: 'Failure writing to local file.' },
};

/**
 * Runs a transfer command from its data connection to its last reply.
 * Never rejects: every failure becomes a reply and a log event.
 */
export async function runTransfer(ctx: SessionContext, plan: TransferPlan): Promise<void> {
  const transfer = ctx.beginTransfer(plan.direction, plan.path);
  let outcome: Outcome = 'ok';
  let announced = false;
  let connected = false;
  const announce = (): void => {
    if (announced) return;
    announced = true;
    ctx.reply(ReplyCode.FileStatusOk, plan.mark);
  };
  try {
    let data: DataConnection;
    const tls = ctx.state.protection === 'P';
    try {
      data = await ctx.data.open(transfer.signal, tls ? ctx.host.protectData : undefined);
    } catch {
      outcome = 'no-connection';
      return;
    }
    connected = true;
    if (!plan.announceLate || tls) announce();
    try {
      await data.tlsReady(transfer.signal);
    } catch (err) {
      data.destroy();
      outcome = err instanceof DataTlsError && err.notResumed ? 'tls-not-resumed' : 'no-connection';
      return;
    }
    transfer.watch(ctx.options.dataConnectionTimeout);
    // A stopped transfer must not wait on its socket; sendFile watches the signal itself.
    const onStop = (): void => data.interrupt();
    transfer.signal.addEventListener('abort', onStop, { once: true });
    try {
      await plan.move(data, transfer, announce);
      await data.finish();
    } catch (err) {
      outcome = err instanceof TransferError ? err.side : transfer.stopReason ? 'network' : 'local';
    } finally {
      transfer.signal.removeEventListener('abort', onStop);
      data.destroy();
    }
  } finally {
    transfer.dispose();
    await ctx.data.release();
    await plan.cleanup?.().catch(() => {});
    // Whatever happened once the connection was open, the 150 comes before the final reply.
    if (connected) announce();
    finish(ctx, plan, transfer, outcome);
    ctx.endTransfer(transfer);
  }
}

function finish(ctx: SessionContext, plan: TransferPlan, transfer: Transfer, outcome: Outcome): void {
  const stopped = transfer.stopReason;
  const complete = outcome === 'ok';
  if (stopped !== 'closed') {
    if (complete) ctx.reply(ReplyCode.ClosingDataConnection, plan.done);
    else if (stopped === 'abor') ctx.reply(ReplyCode.TransferAborted, 'Transfer aborted.');
    else if (stopped === 'timeout') ctx.reply(ReplyCode.TransferAborted, 'Data connection timed out.');
    else if (outcome === 'no-connection') ctx.reply(ReplyCode.CannotOpenDataConnection, 'Failed to establish connection.');
    // vsftpd's code and words for require_ssl_reuse.
    else if (outcome === 'tls-not-resumed') ctx.reply(ReplyCode.NetworkProtocolNotSupported, 'SSL connection failed: session reuse required.');
    else ctx.reply(outcome === 'local' ? ReplyCode.LocalError : ReplyCode.TransferAborted, failureText[plan.direction][outcome]);
    if (stopped === 'abor') ctx.reply(ReplyCode.ClosingDataConnection, 'ABOR successful.');
  }
  if (plan.direction !== 'listing') {
    ctx.log({
      type: 'transfer',
      direction: plan.direction,
      path: plan.path,
      bytes: transfer.bytes,
      seconds: transfer.seconds,
      result: complete ? 'ok' : stopped === 'abor' ? 'aborted' : 'failed',
      mode: ctx.state.type,
      throttleWaits: transfer.limiter?.waits ?? 0,
    });
  }
}
