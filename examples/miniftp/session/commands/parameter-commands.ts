// Transfer parameters: TYPE (A, I, L 8), MODE S, STRU F, ALLO, REST. Only
// what vsftpd supports is accepted; the rest gets 504. Runs in a worker.
import type { SessionContext } from '../session-context.js';
import { ReplyCode } from '../../../ftp/index.js';

const TYPES: Readonly<Record<string, { type: 'ascii' | 'binary'; text: string }>> = {
  A: { type: 'ascii', text: 'Switching to ASCII mode.' },
  'A N': { type: 'ascii', text: 'Switching to ASCII mode.' },
  I: { type: 'binary', text: 'Switching to Binary mode.' },
  'L 8': { type: 'binary', text: 'Switching to Binary mode.' },
  L8: { type: 'binary', text: 'Switching to Binary mode.' },
};

/** TYPE A [N], I, L 8. */
export function handleType(ctx: SessionContext, arg: string): void {
  const key = arg.trim().toUpperCase().replace(/\s+/g, ' ');
  const choice = Object.hasOwn(TYPES, key) ? TYPES[key] : undefined;
  if (!choice) {
    ctx.reply(ReplyCode.ParameterNotImplemented, 'Unrecognised TYPE command.');
    return;
  }
  ctx.state.type = choice.type;
  ctx.reply(ReplyCode.Ok, choice.text);
}

/** MODE S (stream) only. */
export function handleMode(ctx: SessionContext, arg: string): void {
  if (arg.trim().toUpperCase() === 'S') ctx.reply(ReplyCode.Ok, 'Mode set to S.');
  else ctx.reply(ReplyCode.ParameterNotImplemented, 'Bad MODE command.');
}

/** STRU F (file) only. */
export function handleStru(ctx: SessionContext, arg: string): void {
  if (arg.trim().toUpperCase() === 'F') ctx.reply(ReplyCode.Ok, 'Structure set to F.');
  else ctx.reply(ReplyCode.ParameterNotImplemented, 'Bad STRU command.');
}

/** ALLO: no space needs reserving here (RFC 959 lets a server treat it as NOOP). */
export function handleAllo(ctx: SessionContext): void {
  ctx.reply(ReplyCode.Superfluous, 'ALLO command ignored.');
}

/** REST n: the next RETR or STOR starts at byte n (RFC 3659 5, stream mode). */
export function handleRest(ctx: SessionContext, arg: string): void {
  if (!/^\d{1,15}$/.test(arg.trim())) {
    ctx.reply(ReplyCode.SyntaxErrorInArguments, 'REST requires a value greater than or equal to 0.');
    return;
  }
  ctx.state.restartOffset = Number(arg.trim());
  ctx.reply(ReplyCode.PendingFurtherInformation, `Restart position accepted (${ctx.state.restartOffset}).`);
}
