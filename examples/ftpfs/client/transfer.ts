// One transfer over a data connection: the command (RETR, STOR, APPE, LIST,
// MLSD) on the control connection, the bytes on the data connection, and
// the final reply; the control connection stays in step whatever fails.
// Unprivileged client code.
import type net from 'node:net';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FdHandle } from 'privsep';
import { FtpError, FtpProtocolError, isFailure, ReplyCode, type Reply } from '../../ftp/index.js';
import { FtpTimeoutError, abortError } from './errors.js';
import type { DataConnection } from './data-connection.js';
import type { RawDataSocket } from './raw-data.js';
import type { FtpTransport } from './transport.js';

/** The command that starts a transfer, and what to report while it runs. */
export interface TransferCommand<S = net.Socket> {
  verb: string;
  arg: string;
  data: DataConnection<S>;
  signal?: AbortSignal | undefined;
  /** Called with the bytes moved so far, after each chunk. */
  onProgress?: ((bytes: number) => void) | undefined;
  /** The command's final reply, when it was sent already (pipelined): it is not sent again. */
  sent?: Promise<Reply> | undefined;
}

// The final reply to a transfer command: 226 or 250 when all went well.
function checkFinal(reply: Reply): void {
  if (reply.code !== ReplyCode.ClosingDataConnection && reply.code !== ReplyCode.FileActionOk) throw new FtpError(reply.code, reply.text);
}

/**
 * Waits for the data connection; a failure reply to the command (550: no
 * such file) ends the wait at once.
 */
async function connected<S>(data: DataConnection<S>, final: Promise<Reply>): Promise<S> {
  let failed: ((err: Error) => void) | undefined;
  const refused = new Promise<never>((_, reject) => (failed = reject));
  final.then((reply) => {
    if (isFailure(reply)) failed!(new FtpError(reply.code, reply.text));
  }, (err: Error) => failed!(err));
  return Promise.race([data.socket(), refused]);
}

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: error ?? new Error('transfer failed') };
  }
}

/** What a transfer needs of its data socket: a way to end it. */
interface DataSocket {
  destroy(err?: Error): void;
}

async function run<S extends DataSocket>(transport: FtpTransport, command: TransferCommand<S>, move: (socket: S, count: (n: number) => void) => Promise<void>): Promise<number> {
  const { data, signal } = command;
  if (signal?.aborted) {
    data.close();
    throw abortError(signal.reason);
  }
  const final = command.sent ?? transport.request(command.verb, command.arg);
  final.catch(() => {});
  let socket: S;
  try {
    socket = await connected(data, final);
  } catch (err) {
    data.close();
    // The server may still answer (425; 522 for a TLS data connection it
    // refused) for a data connection that failed: wait for it, so that the
    // next command gets its own reply, and report it, which says more than
    // the socket's error.
    if (!(err instanceof FtpError)) {
      const reply = await settled(final);
      if (reply.value !== undefined && isFailure(reply.value)) throw new FtpError(reply.value.code, reply.value.text, { cause: err });
    }
    throw err;
  }
  let bytes = 0;
  const count = (n: number): void => {
    bytes += n;
    transport.touch();
    command.onProgress?.(bytes);
  };
  const onAbort = (): void => {
    socket.destroy(abortError(signal?.reason));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let drain: NodeJS.Timeout | undefined;
  final.then((reply) => {
    // A failed transfer's data means nothing, and a server that refused a
    // RETR may leave our passive connection waiting in its backlog forever.
    if (isFailure(reply)) socket.destroy();
    // After success the data connection ends too, soon: bound the wait.
    else drain = setTimeout(() => socket.destroy(new FtpTimeoutError(`the data connection did not end within ${transport.timeoutMs} ms of the final reply`)), transport.timeoutMs);
  }, () => socket.destroy());
  try {
    const [moved, reply] = await Promise.all([settled(move(socket, count)), settled(final)]);
    if (signal?.aborted) throw abortError(signal.reason);
    if (reply.error !== undefined) throw reply.error;
    // A failed transfer's reply (426, 451, 552) says more than the socket's error.
    checkFinal(reply.value!);
    if (moved.error !== undefined) throw moved.error;
    return bytes;
  } finally {
    clearTimeout(drain);
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/**
 * Runs a transfer from the server (RETR, LIST, MLSD) into `destination`,
 * which is ended when all bytes arrived.
 * @returns the bytes received
 * @throws FtpError with the reply code (550, 426, ...); the destination's
 *   error; FtpClosedError, FtpTimeoutError; AbortError
 */
export function receive(transport: FtpTransport, command: TransferCommand, destination: Writable): Promise<number> {
  return run(transport, command, async (socket, count) => {
    socket.on('data', (chunk: Buffer) => count(chunk.length));
    try {
      await pipeline(socket, destination);
    } catch (err) {
      // Our side failed (the destination, an abort): the server sees the
      // connection drop and answers 426, which keeps the control in step.
      socket.destroy();
      throw err;
    }
  });
}

/**
 * Runs a transfer from the server (RETR) straight into `file`
 * at `start`; `command.onProgress` then counts bytes written to the file.
 * @returns the bytes received
 * @throws as {@link receive}, with local write errors
 */
export function receiveToFile(transport: FtpTransport, command: TransferCommand<RawDataSocket>, file: FdHandle, start: number): Promise<number> {
  return run(transport, command, async (socket, count) => void await socket.receiveFile(file, start, chunks(count)));
}

/** A progress callback given the total so far that counts each chunk's bytes. */
function chunks(count: (n: number) => void): (moved: number) => void {
  let reported = 0;
  return (moved) => {
    count(moved - reported);
    reported = moved;
  };
}

/**
 * Runs a transfer to the server (STOR) of the first `length` bytes of
 * `file`, sent from it by the kernel; the data connection is closed after
 * the last byte, which tells the server the file is complete.
 * @returns the bytes sent
 * @throws as {@link receive}, with local read errors
 */
export function sendFromFile(transport: FtpTransport, command: TransferCommand<RawDataSocket>, file: FdHandle, length: number): Promise<number> {
  return run(transport, command, async (socket, count) => void await socket.sendFile(file, length, chunks(count)));
}

/**
 * Runs a transfer to the server (STOR, APPE) from `source`; the data
 * connection is closed after its last byte, which tells the server the
 * file is complete.
 * @returns the bytes sent
 * @throws as {@link receive}, with the source's errors
 */
export function send(transport: FtpTransport, command: TransferCommand, source: Readable): Promise<number> {
  return run(transport, command, async (socket, count) => {
    source.on('data', (chunk: Buffer | string) => count(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
    // The server's reply comes once it read our end of file; nothing comes back on the socket.
    socket.resume();
    await pipeline(source, socket);
  });
}

/**
 * A Writable that keeps what it receives, up to `maxBytes`: listings.
 * @throws FtpProtocolError (ERR_FTP_PROTOCOL) from write when the cap is crossed
 */
export class TextCollector extends Writable {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxBytes) {
      callback(new FtpProtocolError(`listing longer than ${this.#maxBytes} bytes`));
      return;
    }
    this.#chunks.push(chunk);
    callback();
  }

  /** What was received, decoded as UTF-8 (bad bytes replaced). */
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}
