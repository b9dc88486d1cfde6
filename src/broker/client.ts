// BrokerClient: the UNPRIVILEGED side of a broker channel. One typed stub per
// request of the table packs a call into one message and resolves with the
// typed reply. Calls are pipelined: each is sent at once and the server
// answers them in order, so replies are matched first in, first out.
import { Channel, type Message } from '../fd/channel.js';
import type { FdHandle } from '../fd/fd-handle.js';
import { ChannelClosedError, ProtocolError, checkInteger, invalidArgType } from '../errors.js';
import { DEFAULT_MAX_BUF_BYTES } from './items.js';
import { BrokerError, BrokerTimeoutError } from './errors.js';
import { checkHello, encodeHello } from './hello.js';
import { closeFds, decodeReply, encodeRequest, maxMessageBytes } from './messages.js';
import {
  type BrokerProtocol, type ClientStubs, type CompiledProtocol, type CompiledRequest, type RequestArgs,
  type RequestReply, type RequestTable, compileProtocol,
} from './requests.js';

export interface BrokerClientOptions {
  /** Default per-call timeout in ms, also bounding the hello (default: none). */
  timeout?: number;
  /** Largest buf accepted or sent (default 64 KiB). */
  maxBufBytes?: number;
}

export interface CallOptions {
  /** Rejects the call with BrokerTimeoutError, and closes the channel, after this many ms. */
  timeout?: number;
}

/** A connected client: the control members plus one stub per request of T. */
export type Broker<T extends RequestTable = RequestTable> = BrokerClient<T> & ClientStubs<T>;

interface PendingCall {
  request: CompiledRequest;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

const MAX_TIMEOUT = 0x7fffffff;

/**
 * The client of a broker channel. Get one with `BrokerClient.connect()`,
 * which resolves after the hello exchange to a `Broker<T>`: this object with
 * a method per request (`broker.getDataSocket(port)`). An fd reply gives the
 * caller an owned FdHandle (`toSocket()` makes it a net.Socket). A BAD answer
 * rejects with BrokerError carrying the server's code. When the channel
 * closes (peer death, close(), a protocol error, a timeout), every call in
 * flight rejects with ChannelClosedError naming its request.
 */
export class BrokerClient<T extends RequestTable = RequestTable> {
  readonly channel: Channel;
  readonly protocol: BrokerProtocol<T>;
  readonly maxBufBytes: number;
  readonly #compiled: CompiledProtocol;
  readonly #timeout: number | undefined;
  readonly #pending: PendingCall[] = [];
  #hello: { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout | null } | null = null;
  #reason: Error | null = null;
  #channelError: Error | null = null;
  #closed = false;

  /**
   * Opens a broker channel: sends this side's hello and checks the server's.
   * Takes ownership of the channel (or of the fd, wrapped in a Channel whose
   * message limit fits the table).
   * @throws ERR_PRIVSEP_PROTOCOL when the peer's hello does not match (it says what differs);
   *   ERR_PRIVSEP_CHANNEL_CLOSED when the peer hangs up first; ERR_PRIVSEP_BROKER_TIMEOUT;
   *   ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad arguments
   */
  static async connect<T extends RequestTable>(channel: Channel | FdHandle | number, protocol: BrokerProtocol<T>, options: BrokerClientOptions = {}): Promise<Broker<T>> {
    const client = new BrokerClient<T>(channel, protocol, options);
    await client.#start();
    return client as Broker<T>;
  }

  private constructor(channel: Channel | FdHandle | number, protocol: BrokerProtocol<T>, options: BrokerClientOptions) {
    this.#compiled = compileProtocol(protocol);
    this.protocol = protocol;
    this.maxBufBytes = checkInteger('maxBufBytes', options.maxBufBytes ?? DEFAULT_MAX_BUF_BYTES, 0, 0x7fffffff - 16);
    this.#timeout = options.timeout === undefined ? undefined : checkInteger('timeout', options.timeout, 1, MAX_TIMEOUT);
    this.channel = channel instanceof Channel
      ? channel
      : Channel.fromFd(channel, { maxMessageBytes: maxMessageBytes(this.#compiled, this.maxBufBytes) });
    defineStubs(this, this.#compiled, (request, args) => this.#call(request, args, this.#timeout));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Calls request `name` with `args`; the same as the stub `broker[name](...args)`
   * but with per-call options.
   * @throws BrokerError (the server's code), ERR_PRIVSEP_BROKER_TIMEOUT, ERR_PRIVSEP_CHANNEL_CLOSED,
   *   ERR_PRIVSEP_PROTOCOL (a malformed reply), ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE (nothing sent)
   */
  call<N extends keyof T & string>(name: N, args: RequestArgs<T[N]>, options: CallOptions = {}): Promise<RequestReply<T[N]>> {
    const request = this.#compiled.byName.get(name);
    if (request === undefined) return Promise.reject(invalidArgType('name', `a request of the ${this.#compiled.name} table`, name));
    let timeout: number | undefined;
    try {
      timeout = options.timeout === undefined ? this.#timeout : checkInteger('timeout', options.timeout, 1, MAX_TIMEOUT);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#call(request, args as readonly unknown[], timeout) as Promise<RequestReply<T[N]>>;
  }

  /** The stubs with a per-call timeout of `ms` (the channel closes when one expires). */
  withTimeout(ms: number): ClientStubs<T> {
    const timeout = checkInteger('ms', ms, 1, MAX_TIMEOUT);
    const stubs = {};
    defineStubs(stubs, this.#compiled, (request, args) => this.#call(request, args, timeout));
    return stubs as ClientStubs<T>;
  }

  /** Closes the channel; calls in flight reject with ChannelClosedError. */
  close(): void {
    this.#fail(null);
  }

  #start(): Promise<void> {
    const channel = this.channel;
    channel.on('error', (err) => (this.#channelError ??= err));
    // After the messages that arrived with the close: a hello resolved to the
    // receive() below is still waiting in the microtask queue.
    channel.on('close', () => queueMicrotask(() => this.#fail(null)));
    channel.on('message', (message) => this.#onMessage(message));
    // The hello may already wait in the channel's queue, where no 'message'
    // event will fetch it; a pending receive() also takes precedence over the
    // listener for the next message. A closed channel reports through 'close'.
    channel.receive().then((message) => this.#onMessage(message), () => {});
    return new Promise<void>((resolve, reject) => {
      const timer = this.#timeout === undefined ? null : setTimeout(() => {
        this.#fail(new BrokerTimeoutError('hello', this.#timeout!));
      }, this.#timeout);
      this.#hello = { resolve, reject, timer };
      channel.send(encodeHello('client', this.#compiled)).catch(() => {});
    });
  }

  #call(request: CompiledRequest, args: readonly unknown[], timeout: number | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closedError(request));
    let data: Buffer;
    let fds: Parameters<Channel['send']>[1];
    try {
      ({ data, fds } = encodeRequest(request, args, this.maxBufBytes));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const call: PendingCall = { request, resolve, reject, timer: null };
      if (timeout !== undefined) call.timer = setTimeout(() => this.#timedOut(call, timeout), timeout);
      this.#pending.push(call);
      this.channel.send(data, fds).catch((err: Error) => {
        // Not sent (a bad fd, say): the call leaves the queue, the rest keep their order.
        const index = this.#pending.indexOf(call);
        if (index < 0) return;
        this.#pending.splice(index, 1);
        settle(call);
        call.reject(this.#closed ? this.#closedError(request) : err);
      });
    });
  }

  #onMessage(message: Message): void {
    if (this.#closed) {
      closeFds(message.fds);
      return;
    }
    const hello = this.#hello;
    if (hello !== null) {
      try {
        checkHello(message, 'client', this.#compiled);
      } catch (err) {
        closeFds(message.fds);
        this.#fail(err as Error);
        return;
      }
      this.#hello = null;
      if (hello.timer) clearTimeout(hello.timer);
      hello.resolve();
      return;
    }
    const call = this.#pending.shift();
    if (call === undefined) {
      closeFds(message.fds);
      this.#fail(new ProtocolError('unsolicited message: no call is waiting for a reply'));
      return;
    }
    settle(call);
    let reply;
    try {
      reply = decodeReply(call.request, message, this.maxBufBytes);
    } catch (err) {
      closeFds(message.fds);
      call.reject(err as Error);
      this.#fail(err as Error);
      return;
    }
    if (reply.ok) call.resolve(reply.value);
    else call.reject(new BrokerError(call.request.name, reply.code, reply.errno));
  }

  #timedOut(call: PendingCall, timeout: number): void {
    const index = this.#pending.indexOf(call);
    if (index < 0) return;
    this.#pending.splice(index, 1);
    const err = new BrokerTimeoutError(call.request.name, timeout);
    call.reject(err);
    this.#fail(err);
  }

  // Closes the channel once, and rejects whatever still waits.
  #fail(reason: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason ?? this.#channelError;
    this.channel.close();
    const hello = this.#hello;
    if (hello !== null) {
      this.#hello = null;
      if (hello.timer) clearTimeout(hello.timer);
      hello.reject(reason ?? new ChannelClosedError('the broker channel closed before the hello', { cause: this.#reason ?? undefined }));
    }
    for (const call of this.#pending.splice(0)) {
      settle(call);
      call.reject(new ChannelClosedError(`broker request ${call.request.name}: the channel closed before its reply came`, { cause: this.#reason ?? undefined }));
    }
  }

  #closedError(request: CompiledRequest): ChannelClosedError {
    return new ChannelClosedError(`cannot call ${request.name}: the broker channel is closed`, { cause: this.#reason ?? undefined });
  }
}

function defineStubs(target: object, protocol: CompiledProtocol, call: (request: CompiledRequest, args: unknown[]) => Promise<unknown>): void {
  for (const request of protocol.requests) {
    Object.defineProperty(target, request.name, {
      value: (...args: unknown[]) => call(request, args),
      enumerable: true,
    });
  }
}

function settle(call: PendingCall): void {
  if (call.timer) clearTimeout(call.timer);
  call.timer = null;
}
