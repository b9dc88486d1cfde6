// Moving bytes over a data connection: binary downloads with the library's
// zero-copy sendFile, ASCII downloads and listings through a net.Socket,
// uploads from the socket into the file; all paced by the transfer's rate
// limiter and stoppable through its signal. Runs in a worker.
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type net from 'node:net';
import { promisify } from 'node:util';
import { abortError, errnoError, receiveFile as spliceIntoFile, sendFile } from 'privsep';
import { AsciiDecoder, toNetworkAscii } from './ascii.js';
import { SealReader } from '../gate/data-seal.js';
import type { DataConnection } from './data-connection.js';
import type { Transfer } from './transfer.js';

/** Which end failed: the data connection ('network') or the file ('local'). */
export type FailedSide = 'network' | 'local';

/** A transfer that failed, with the side that failed. */
export class TransferError extends Error {
  readonly code = 'ERR_MINIFTP_TRANSFER';
  readonly side: FailedSide;
  constructor(side: FailedSide, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransferError';
    this.side = side;
  }
}

const NETWORK_CODES = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']);

function failure(side: FailedSide, err: unknown): Error {
  if (err instanceof TransferError || (err as Error)?.name === 'AbortError') return err as Error;
  const code = (err as NodeJS.ErrnoException)?.code;
  const actual: FailedSide = code && NETWORK_CODES.has(code) ? 'network' : side;
  return new TransferError(actual, `${actual === 'network' ? 'data connection' : 'file'} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

const readFile = promisify(fs.read);

// Waits until the socket can take more, it closes, or the transfer stops.
function drained(socket: net.Socket, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError());
  if (socket.destroyed) return Promise.reject(new TransferError('network', 'the data connection closed'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new TransferError('network', 'the data connection closed'));
    const onAbort = (): void => done(abortError());
    socket.on('drain', onDrain);
    socket.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// Writes a chunk in the pieces the rate limiter grants, waiting for drain.
async function writePaced(socket: net.Socket, chunk: Buffer, transfer: Transfer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const granted = transfer.limiter ? await transfer.limiter.take(chunk.length - offset, transfer.signal) : chunk.length - offset;
    const piece = chunk.subarray(offset, offset + granted);
    offset += piece.length;
    if (!socket.write(piece)) await drained(socket, transfer.signal);
    transfer.progress(transfer.bytes + piece.length);
  }
}

/**
 * Sends `length` bytes of the file from `start`, zero-copy (sendfile(2)
 * on the raw data socket fd), paced by the transfer's limiter. Calls
 * `beforeWait` before it may first wait (for the limiter or the client):
 * a range the socket takes at once is sent without it.
 * @throws TransferError ('network' or 'local'); AbortError when the transfer stops
 */
export async function sendFileBinary(
  data: DataConnection, fileFd: number, start: number, length: number, transfer: Transfer, beforeWait: () => void = () => {},
): Promise<void> {
  const limiter = transfer.limiter;
  if (limiter) beforeWait();
  try {
    await sendFile(data.fd, fileFd, {
      start,
      length,
      signal: transfer.signal,
      pace: limiter ? (wanted) => limiter.take(wanted, transfer.signal) : undefined,
      onProgress: (sent) => {
        // Not all of it went at once: the next sendfile may wait.
        if (sent < length) beforeWait();
        transfer.progress(sent);
      },
    });
  } catch (err) {
    throw failure('local', err);
  }
}

/**
 * Sends the whole file in ASCII mode (LF as CRLF), paced.
 * @throws TransferError ('network' or 'local'); AbortError when the transfer stops
 */
export async function sendFileAscii(data: DataConnection, fileFd: number, transfer: Transfer): Promise<void> {
  const socket = data.socket();
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let position = 0;
  for (;;) {
    if (transfer.signal.aborted) throw abortError();
    let bytesRead: number;
    try {
      ({ bytesRead } = await readFile(fileFd, buffer, 0, buffer.length, position));
    } catch (err) {
      throw failure('local', err);
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    // A copy: the socket may still hold the chunk when the buffer is read into again.
    await writePaced(socket, toNetworkAscii(Buffer.from(buffer.subarray(0, bytesRead))), transfer);
  }
}

/**
 * Sends text produced piece by piece (a directory listing), not paced.
 * @throws TransferError ('network'); AbortError when the transfer stops
 */
export async function sendText(data: DataConnection, pieces: AsyncIterable<string>, transfer: Transfer): Promise<void> {
  const socket = data.socket();
  for await (const piece of pieces) {
    if (transfer.signal.aborted) throw abortError();
    if (socket.destroyed) throw new TransferError('network', 'the data connection closed');
    const more = socket.write(piece);
    transfer.progress(transfer.bytes + Buffer.byteLength(piece));
    if (!more) await drained(socket, transfer.signal);
  }
}

// Bytes an upload may have arrived and not yet be written before reading pauses,
// and bytes per file write: small enough that they are still in the CPU cache.
const UPLOAD_QUEUE = 4 << 20;
const WRITE_BATCH = 256 * 1024;

/**
 * The chunks of an upload as they arrive (no copies), with back-pressure:
 * reading pauses while too much waits to be written.
 */
class UploadQueue {
  readonly #socket: net.Socket;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #ended = false;
  #failure: Error | null = null;
  #wake: (() => void) | null = null;
  readonly #signal: AbortSignal;

  /** `seal`: the connection's data ends with the TLS gate's seal, which must be there (strict_ssl_read_eof). */
  constructor(socket: net.Socket, transfer: Transfer, seal: SealReader | null) {
    this.#socket = socket;
    this.#signal = transfer.signal;
    socket.on('data', (chunk: Buffer) => {
      transfer.touch();
      for (const piece of seal ? seal.push(chunk) : [chunk]) this.#add(piece);
      if (this.#bytes >= UPLOAD_QUEUE) socket.pause();
      this.#wake?.();
    });
    socket.on('end', () => {
      const cut = seal?.end() ?? null;
      if (cut === null) {
        this.#ended = true;
      } else {
        // What came is kept, as with any upload that breaks off; the transfer fails.
        this.#add(cut);
        this.#failure ??= new TransferError('network', 'the client ended the upload without a TLS close_notify');
      }
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#failure ??= new TransferError('network', 'the data connection was reset');
      this.#wake?.();
    });
    socket.on('error', (err) => {
      this.#failure ??= failure('network', err);
      this.#wake?.();
    });
    transfer.signal.addEventListener('abort', () => this.#wake?.(), { once: true });
  }

  #add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  /** Up to WRITE_BATCH bytes of chunks, waiting for some; null at end of file. */
  async next(): Promise<Buffer[] | null> {
    for (;;) {
      // A stopped transfer writes nothing more, even what already arrived.
      if (this.#signal.aborted) throw abortError();
      if (this.#chunks.length > 0) {
        const batch: Buffer[] = [];
        let size = 0;
        while (this.#chunks.length > 0 && size < WRITE_BATCH) {
          const chunk = this.#chunks.shift()!;
          batch.push(chunk);
          size += chunk.length;
        }
        this.#bytes -= size;
        if (this.#socket.isPaused() && this.#bytes < UPLOAD_QUEUE / 2) this.#socket.resume();
        return batch;
      }
      // End of file counts only when it came before any failure: a reset is not an end.
      if (this.#ended) return null;
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
  }
}

async function writeFully(file: FileHandle, chunks: Buffer[], position: number | null): Promise<number> {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  let written = 0;
  try {
    written = (await file.writev(chunks, position ?? undefined)).bytesWritten;
    // A short write is rare for files (a full disk reports ENOSPC on the next one): finish it piece by piece.
    while (written < total) {
      const rest = Buffer.concat(chunks).subarray(written);
      const { bytesWritten } = await file.write(rest, 0, rest.length, position === null ? null : position + written);
      if (bytesWritten === 0) throw errnoError('ENOSPC', 'write');
      written += bytesWritten;
    }
  } catch (err) {
    throw failure('local', err);
  }
  return total;
}

/**
 * Receives a binary upload into `file` at `position` onwards, zero-copy
 * (splice(2) from the raw data socket fd through a pipe), paced by the
 * transfer's limiter. The file must not be open for appending.
 * @throws TransferError ('network' or 'local'); AbortError when the transfer stops
 */
export async function receiveFileBinary(data: DataConnection, file: FileHandle, position: number, transfer: Transfer): Promise<void> {
  const limiter = transfer.limiter;
  try {
    await spliceIntoFile(data.fd, file.fd, {
      start: position,
      signal: transfer.signal,
      pace: limiter ? (wanted) => limiter.take(wanted, transfer.signal) : undefined,
      onProgress: (received) => transfer.progress(received),
    });
  } catch (err) {
    throw failure('local', err);
  }
}

/**
 * Receives an upload into `file`: at `position` onwards, or at its end
 * when `position` is null (a file opened for appending); ASCII mode stores
 * CRLF as LF. A sealed connection's upload fails when it ends without the
 * seal (strict_ssl_read_eof), after writing what came. Paced: the client is
 * held back by TCP flow control while the limiter waits.
 * @throws TransferError ('network' when the connection breaks before end of
 *   file, 'local' when writing fails); AbortError when the transfer stops
 */
export async function receiveFile(data: DataConnection, file: FileHandle, position: number | null, ascii: boolean, transfer: Transfer): Promise<void> {
  const queue = new UploadQueue(data.socket(), transfer, data.sealed ? new SealReader() : null);
  const decoder = ascii ? new AsciiDecoder() : null;
  const limiter = transfer.limiter;
  let at = position;
  let wire = 0;
  for (;;) {
    const chunks = await queue.next();
    if (chunks === null) break;
    let received = 0;
    for (const chunk of chunks) received += chunk.length;
    wire += received;
    if (limiter) {
      for (let owed = received; owed > 0; transfer.touch()) owed -= await limiter.take(owed, transfer.signal);
    }
    const written = await writeFully(file, decoder ? chunks.map((chunk) => decoder.push(chunk)) : chunks, at);
    if (at !== null) at += written;
    transfer.progress(wire);
  }
  const tail = decoder?.end();
  if (tail && tail.length > 0) await writeFully(file, [tail], at);
}
