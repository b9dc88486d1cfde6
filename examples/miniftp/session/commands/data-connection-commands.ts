// Data connection setup: PORT/EPRT (the helper will connect to the client)
// and PASV/EPSV (the helper listens). No FTP bounce: an active connection
// goes only to the client's own address and a port >= 1024 unless
// port_promiscuous, checked here and again by the helper. Runs in a worker.
import {
  addressFamily, decodeEprt, decodeHostPort, epsvReplyText, FtpSyntaxError, parseEpsvArgument, pasvReplyText, ReplyCode, sameAddress, type HostPort,
} from '../../../ftp/index.js';
import type { SessionContext } from '../session-context.js';

// Ports below this are privileged services: never a bounce target.
const FIRST_UNPRIVILEGED_PORT = 1024;

function allowedTarget(ctx: SessionContext, target: HostPort): boolean {
  return ctx.options.portPromiscuous || (sameAddress(target.host, ctx.clientAddress) && target.port >= FIRST_UNPRIVILEGED_PORT);
}

function refusedAfterEpsvAll(ctx: SessionContext, verb: string): boolean {
  if (ctx.state.epsvAll) ctx.reply(ReplyCode.BadSequence, `${verb} not allowed after EPSV ALL.`);
  return ctx.state.epsvAll;
}

async function setActive(ctx: SessionContext, target: HostPort | null, verb: 'PORT' | 'EPRT'): Promise<void> {
  if (!target || !allowedTarget(ctx, target)) {
    await ctx.data.release();
    ctx.reply(ReplyCode.SyntaxError, `Illegal ${verb} command.`);
    return;
  }
  await ctx.data.active(target.host, target.port);
  ctx.reply(ReplyCode.Ok, verb === 'PORT' ? 'PORT command successful. Consider using PASV.' : 'EPRT command successful. Consider using EPSV.');
}

/** PORT h1,h2,h3,h4,p1,p2 (RFC 959). */
export async function handlePort(ctx: SessionContext, arg: string): Promise<void> {
  if (refusedAfterEpsvAll(ctx, 'PORT')) return;
  let target: HostPort | null = null;
  try {
    target = decodeHostPort(arg.trim());
  } catch {
    // Malformed: refused below with the same reply as a forbidden target.
  }
  await setActive(ctx, target, 'PORT');
}

/** EPRT |proto|address|port| (RFC 2428). */
export async function handleEprt(ctx: SessionContext, arg: string): Promise<void> {
  if (refusedAfterEpsvAll(ctx, 'EPRT')) return;
  let target: HostPort | null = null;
  try {
    target = decodeEprt(arg.trim());
  } catch (err) {
    if (err instanceof FtpSyntaxError && err.replyCode === ReplyCode.NetworkProtocolNotSupported) {
      await ctx.data.release();
      ctx.reply(ReplyCode.NetworkProtocolNotSupported, 'Network protocol not supported, use (1,2)');
      return;
    }
  }
  await setActive(ctx, target, 'EPRT');
}

async function listen(ctx: SessionContext): Promise<number | null> {
  try {
    return await ctx.data.passive();
  } catch {
    ctx.reply(ReplyCode.CannotOpenDataConnection, 'Cannot open a passive data connection now.');
    return null;
  }
}

/** PASV: 227 with the address to connect to (pasv_address behind NAT, else this connection's). */
export async function handlePasv(ctx: SessionContext): Promise<void> {
  if (refusedAfterEpsvAll(ctx, 'PASV')) return;
  const address = ctx.options.pasvAddress ?? ctx.localAddress;
  if (addressFamily(address) !== 'IPv4') {
    ctx.reply(ReplyCode.CannotOpenDataConnection, 'PASV needs an IPv4 address; use EPSV.');
    return;
  }
  const port = await listen(ctx);
  if (port !== null) ctx.reply(ReplyCode.EnteringPassiveMode, pasvReplyText(address, port));
}

/** EPSV [1|2|ALL] (RFC 2428): 229 with the port; the address is the control connection's. */
export async function handleEpsv(ctx: SessionContext, arg: string): Promise<void> {
  let request;
  try {
    request = parseEpsvArgument(arg.trim());
  } catch (err) {
    const unsupported = err instanceof FtpSyntaxError && err.replyCode === ReplyCode.NetworkProtocolNotSupported;
    ctx.reply(unsupported ? ReplyCode.NetworkProtocolNotSupported : ReplyCode.SyntaxErrorInArguments, unsupported ? 'Network protocol not supported, use (1,2)' : 'Bad EPSV argument.');
    return;
  }
  if (request.kind === 'all') {
    ctx.state.epsvAll = true;
    ctx.reply(ReplyCode.Ok, 'EPSV ALL ok.');
    return;
  }
  const family = addressFamily(ctx.localAddress);
  if (request.kind === 'family' && request.family !== family) {
    ctx.reply(ReplyCode.NetworkProtocolNotSupported, `Network protocol not supported, use (${family === 'IPv6' ? 2 : 1})`);
    return;
  }
  const port = await listen(ctx);
  if (port !== null) ctx.reply(ReplyCode.EnteringExtendedPassiveMode, epsvReplyText(port));
}
