// BrokerServer: the PRIVILEGED side of a broker channel. Look for suitable
// paranoia in this file: a request reaches a handler only after its id, its
// phase, its once flag, the kinds and count of its arguments, the buf limit
// and its fds were checked against the table; anything else closes the channel.
import { EventEmitter } from 'node:events';
import { Channel, type Message } from '../fd/channel.js';
import type { FdHandle } from '../fd/fd-handle.js';
import { type Sendable, closeSent, fdOf } from '../fd/sendable.js';
import { ChannelClosedError, ProtocolError, UnpermittedRequestError, checkInteger, invalidArgType, invalidArgValue, isErrnoError } from '../errors.js';
import { DEFAULT_MAX_BUF_BYTES } from './items.js';
import { badResultOf } from './codes.js';
import { checkHello, encodeHello } from './hello.js';
import { closeFds, decodeRequest, encodeBad, encodeReply, maxMessageBytes, replyValues } from './messages.js';
import {
  type BrokerProtocol, type BrokerServerLike, type CompiledProtocol, type CompiledRequest, type PhaseOf,
  type RequestContext, type RequestTable, type ServerHandlers, compileProtocol,
} from './requests.js';

export interface BrokerServerOptions<T extends RequestTable> {
  /** The phase to start in (default: none, so requests that name a phase are refused until setPhase). */
  phase?: PhaseOf<T>;
  /** Largest buf accepted or sent (default 64 KiB). */
  maxBufBytes?: number;
}

type Handler = (...args: unknown[]) => unknown;

// Requests read ahead of the one being answered, on a Channel the server
// makes. It answers one at a time, so more would only hold a peer's bytes
// in memory: a peer that never reads its replies stalls its own channel, with
// at most these few requests (and one reply) held for it.
const READ_AHEAD = 4;

export declare interface BrokerServer<T extends RequestTable> {
  on(event: 'close', listener: (reason: Error | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'handlerError', listener: (err: unknown, request: keyof T & string) => void): this;
  once(event: 'close', listener: (reason: Error | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'handlerError', listener: (err: unknown, request: keyof T & string) => void): this;
}

/**
 * Answers the requests of one channel from a table of handlers, one request
 * at a time and in order. A handler gets its arguments (received fds as
 * FdHandles, which the server closes once the handler settled unless it took
 * them with release/toSocket/toServer) and a RequestContext; it returns the
 * reply values, and the server closes every fd it returned once sent. A
 * handler that throws answers BAD with the error's code ('EACCES', or
 * ERR_PRIVSEP_HANDLER_FAILED) and the server goes on. An unknown or
 * malformed request, or one the table does not permit now, closes the
 * channel with a ProtocolError or UnpermittedRequestError that names it.
 *
 * Events: 'close' (reason: null when the peer hung up between requests),
 * 'error' (only when listened to, so a bad peer never crashes the process),
 * 'handlerError' (a handler threw; for logging on the privileged side).
 */
export class BrokerServer<T extends RequestTable = RequestTable> extends EventEmitter implements BrokerServerLike<T> {
  readonly channel: Channel;
  readonly protocol: BrokerProtocol<T>;
  readonly maxBufBytes: number;
  /** Resolves when the channel closed: with null after a clean hang-up, else with why. */
  readonly done: Promise<Error | null>;
  readonly #compiled: CompiledProtocol;
  readonly #handlers: Handler[] = [];
  readonly #contexts: RequestContext<T>[] = [];
  readonly #used = new Set<number>();
  #phase: PhaseOf<T> | null;
  #helloDone = false;
  #inHandler = false;
  #reason: Error | null = null;
  #channelError: Error | null = null;
  #finished = false;
  #closing = false;
  #resolveDone!: (reason: Error | null) => void;

  /**
   * Starts serving at once: sends this side's hello, checks the peer's, then
   * answers requests until the channel closes. Takes ownership of the
   * channel (or of the fd, wrapped in a Channel whose message limit fits the
   * table and that reads at most a few requests ahead).
   * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad protocol or a missing or unknown handler
   */
  constructor(channel: Channel | FdHandle | number, protocol: BrokerProtocol<T>, handlers: NoInfer<ServerHandlers<T>>, options: NoInfer<BrokerServerOptions<T>> = {}) {
    super();
    this.#compiled = compileProtocol(protocol);
    this.protocol = protocol;
    this.maxBufBytes = checkInteger('maxBufBytes', options.maxBufBytes ?? DEFAULT_MAX_BUF_BYTES, 0, 0x7fffffff - 16);
    this.#phase = options.phase ?? null;
    this.#checkHandlers(handlers);
    this.channel = channel instanceof Channel
      ? channel
      : Channel.fromFd(channel, { maxMessageBytes: maxMessageBytes(this.#compiled, this.maxBufBytes), highWaterMark: READ_AHEAD });
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.channel.on('error', (err) => (this.#channelError ??= err));
    this.channel.on('close', () => this.#onChannelClose());
    this.#serve().catch((err: unknown) => {
      // Only a listener that throws gets here; the channel ends, the process goes on.
      this.#reason ??= err instanceof Error ? err : new Error(String(err));
      this.#finish();
    });
  }

  /** The current phase, or null before any. */
  get phase(): PhaseOf<T> | null {
    return this.#phase;
  }

  /**
   * Moves to `phase`: from now on, requests that name a phase are permitted
   * only when it is theirs (as OpenSSH's monitor switches tables after auth).
   */
  setPhase(phase: PhaseOf<T>): void {
    if (typeof phase !== 'string') throw invalidArgType('phase', 'of type string', phase);
    this.#phase = phase;
  }

  /** The peer's pid, uid and gid as the kernel recorded them. @throws ERR_PRIVSEP_CHANNEL_CLOSED */
  peerCredentials(): { pid: number; uid: number; gid: number } {
    return this.channel.peerCredentials();
  }

  get closed(): boolean {
    return this.#finished || this.channel.closed;
  }

  /** Closes the channel; a handler still running finds its reply dropped. */
  close(): void {
    this.#closing = true;
    this.channel.close();
  }

  #checkHandlers(handlers: ServerHandlers<T>): void {
    if (typeof handlers !== 'object' || handlers === null) throw invalidArgType('handlers', 'an object', handlers);
    const table = handlers as unknown as Record<string, unknown>;
    const expected = new Set(this.#compiled.requests.map((r) => r.handlerName));
    for (const key of Object.keys(table)) {
      if (!expected.has(key)) {
        throw invalidArgValue('handlers', key, `names a handler the ${this.#compiled.name} table declares no request for`);
      }
    }
    for (const request of this.#compiled.requests) {
      const handler = table[request.handlerName];
      if (typeof handler !== 'function') throw invalidArgType(`handlers.${request.handlerName}`, 'a function', handler);
      this.#handlers[request.id] = (handler as Handler).bind(handlers);
      this.#contexts[request.id] = Object.freeze({ request: request.name as keyof T & string, server: this });
    }
  }

  async #serve(): Promise<void> {
    this.channel.send(encodeHello('server', this.#compiled)).catch(() => {});
    const hello = await this.#receive();
    if (hello === null) return;
    try {
      checkHello(hello, 'server', this.#compiled);
    } catch (err) {
      this.#fail(err as Error, hello);
      return;
    }
    this.#helloDone = true;
    for (;;) {
      const message = await this.#receive();
      if (message === null) return;
      let request: CompiledRequest;
      let args: unknown[];
      try {
        ({ request, args } = decodeRequest(this.#compiled, message, this.maxBufBytes));
        this.#permit(request);
      } catch (err) {
        this.#fail(err as Error, message);
        return;
      }
      // Requests still queued when the peer hung up are checked, not answered.
      if (this.channel.closed) {
        closeFds(message.fds);
        continue;
      }
      this.#inHandler = true;
      await this.#answer(request, args, message.fds);
      this.#inHandler = false;
      if (this.#finished) return;
    }
  }

  // The next message, or null (and the server finished) once none will come.
  async #receive(): Promise<Message | null> {
    try {
      return await this.channel.receive();
    } catch (err) {
      if (!(err instanceof ChannelClosedError)) this.#channelError ??= err as Error;
      this.#finish();
      return null;
    }
  }

  // The channel closed under a running handler: report now, not when (if
  // ever) the handler settles. Otherwise the serve loop reports, once it has
  // checked the messages that arrived before the close.
  #onChannelClose(): void {
    if (this.#inHandler) this.#finish();
  }

  #permit(request: CompiledRequest): void {
    if (request.phases !== null && (this.#phase === null || !request.phases.includes(this.#phase))) {
      throw new UnpermittedRequestError(`request ${request.name} (id ${request.id}) is not permitted in phase ${this.#phase ?? '(none)'}; it needs ${request.phases.join(' or ')}`);
    }
    if (request.once) {
      if (this.#used.has(request.id)) throw new UnpermittedRequestError(`request ${request.name} (id ${request.id}) may be made only once`);
      this.#used.add(request.id);
    }
  }

  async #answer(request: CompiledRequest, args: unknown[], argFds: FdHandle[]): Promise<void> {
    let value: unknown;
    let failure: unknown = null;
    let failed = false;
    try {
      value = this.#handlers[request.id]!(...args, this.#contexts[request.id]!);
      if (isThenable(value)) value = await value;
    } catch (err) {
      failed = true;
      failure = err;
    }
    const returned = failed ? [] : returnedFds(request, value);
    let data: Buffer;
    let fds: Sendable[] = [];
    if (!failed) {
      try {
        ({ data, fds } = encodeReply(request, value, this.maxBufBytes));
      } catch (err) {
        failed = true;
        failure = err;
      }
    }
    if (failed) {
      const bad = badResultOf(failure);
      data = encodeBad(bad.code, bad.errno);
      fds = [];
      if (this.listenerCount('handlerError') > 0) this.emit('handlerError', failure, request.name as keyof T & string);
    }
    try {
      if (!this.closed) await this.channel.send(data!, fds);
    } catch {
      // The channel is gone; 'close' reports why.
    } finally {
      releaseAll(argFds, returned);
    }
  }

  #fail(err: Error, message: Message): void {
    closeFds(message.fds);
    this.#reason ??= err;
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    // Drops (and closes the fds of) anything still queued.
    this.channel.close();
    const error = this.#channelError !== null && !isErrnoError(this.#channelError, 'ECONNRESET') && !isErrnoError(this.#channelError, 'EPIPE')
      ? this.#channelError : null;
    const reason = this.#reason ?? error ??
      (this.#helloDone || this.#closing ? null : new ProtocolError('the peer closed the channel before its hello'));
    if (reason && this.listenerCount('error') > 0) this.emit('error', reason);
    this.emit('close', reason);
    this.#resolveDone(reason);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

// The fds a handler returned, which the server owns from now on: every value
// at an fd position that is a real Sendable, each once.
function returnedFds(request: CompiledRequest, value: unknown): Sendable[] {
  if (!request.reply.includes('fd')) return [];
  let values: readonly unknown[];
  try {
    values = replyValues(request, value);
  } catch {
    return [];
  }
  const fds = new Set<Sendable>();
  request.reply.forEach((kind, i) => {
    if (kind !== 'fd') return;
    try {
      fdOf(values[i] as Sendable);
      fds.add(values[i] as Sendable);
    } catch {
      // Not an fd: nothing to close.
    }
  });
  return [...fds];
}

// Closes what the server owns after a request: the fds the handler returned
// and the argument fds it did not take. An argument whose number the handler
// returned as is counts as returned, so no fd is closed twice.
function releaseAll(argFds: readonly FdHandle[], returned: readonly Sendable[]): void {
  const returnedNumbers = new Set(returned.filter((s): s is number => typeof s === 'number'));
  for (const sendable of returned) closeSent(sendable).catch(() => {});
  for (const fd of argFds) {
    if (fd.closed) continue;
    try {
      if (returnedNumbers.has(fd.fd)) fd.release();
      else fd.close();
    } catch {
      // Closed behind the handle's back by the handler: nothing left to close.
    }
  }
}
