// BrokerSocket: the low-level broker verbs on a Channel, one item per message
// (vsftpd's privsock vocabulary): sendCmd/recvCmd, sendResult/recvResult,
// sendInt/recvInt, sendBuf/recvBuf, sendFd/recvFd. Used on both sides of the
// privilege boundary; a bad message closes the channel with a ProtocolError.
import { Channel, type Message } from '../fd/channel.js';
import type { FdHandle } from '../fd/fd-handle.js';
import { type Sendable, fdOf } from '../fd/sendable.js';
import { checkInteger } from '../errors.js';
import {
  type BrokerResult, DEFAULT_MAX_BUF_BYTES, ITEM_BYTES, ItemReader, ItemWriter, MAX_CODE_BYTES,
  badResultBytes, checkCmd, checkCode, checkInt32, toBufBytes,
} from './items.js';
import { errnoOfCode } from './codes.js';
import { closeFds } from './messages.js';

export interface BrokerSocketOptions {
  /** Largest buf accepted or sent (default 64 KiB). */
  maxBufBytes?: number;
}

/**
 * The five verbs over one Channel. Each verb is one message carrying one
 * item; a receive checks that the message holds exactly that item (and, for
 * fd, exactly one fd). Anything else rejects with a ProtocolError naming the
 * fault, closes the fds that came with the message, and closes the channel.
 */
export class BrokerSocket {
  readonly channel: Channel;
  readonly maxBufBytes: number;

  /**
   * Wraps `channel`, or takes ownership of a connected unix socket fd and
   * makes a Channel whose message limit fits the largest item.
   * @throws ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE; ENOTSOCK, EBADF for a bad fd
   */
  constructor(channel: Channel | FdHandle | number, options: BrokerSocketOptions = {}) {
    this.maxBufBytes = checkInteger('maxBufBytes', options.maxBufBytes ?? DEFAULT_MAX_BUF_BYTES, 0, 0x7fffffff - 16);
    this.channel = channel instanceof Channel
      ? channel
      : Channel.fromFd(channel, { maxMessageBytes: Math.max(ITEM_BYTES.bufHeader + this.maxBufBytes, ITEM_BYTES.resultBadHeader + MAX_CODE_BYTES) });
  }

  get closed(): boolean {
    return this.channel.closed;
  }

  /** Closes the channel; calls waiting for a message reject. */
  close(): void {
    this.channel.close();
  }

  /** Sends a cmd item (0-255). @throws ERR_OUT_OF_RANGE, ERR_PRIVSEP_CHANNEL_CLOSED, EPIPE */
  sendCmd(cmd: number): Promise<void> {
    return this.#send(() => new ItemWriter(ITEM_BYTES.cmd).cmd(checkCmd('cmd', cmd)));
  }

  /** Receives a cmd item. @throws ERR_PRIVSEP_PROTOCOL, ERR_PRIVSEP_CHANNEL_CLOSED */
  recvCmd(): Promise<number> {
    return this.#recv('recvCmd', (r) => r.cmd());
  }

  /**
   * Sends OK (`ok` true) or BAD with `code` ('EACCES', 'ERR_...'). The errno
   * sent with BAD is derived from the code when it names a system error.
   * @throws ERR_INVALID_ARG_VALUE for a bad code, ERR_PRIVSEP_CHANNEL_CLOSED, EPIPE
   */
  sendResult(ok: boolean, code?: string): Promise<void> {
    return this.#send(() => {
      if (ok) return new ItemWriter(ITEM_BYTES.resultOk).ok();
      const checked = checkCode(code);
      return new ItemWriter(badResultBytes(checked)).bad(checked, errnoOfCode(checked));
    });
  }

  /** Receives a result item. @throws ERR_PRIVSEP_PROTOCOL, ERR_PRIVSEP_CHANNEL_CLOSED */
  recvResult(): Promise<BrokerResult> {
    return this.#recv('recvResult', (r) => r.result());
  }

  /** Sends an int item (signed 32 bits). @throws ERR_OUT_OF_RANGE, ERR_PRIVSEP_CHANNEL_CLOSED, EPIPE */
  sendInt(value: number): Promise<void> {
    return this.#send(() => new ItemWriter(ITEM_BYTES.int).int(checkInt32('value', value)));
  }

  /** Receives an int item. @throws ERR_PRIVSEP_PROTOCOL, ERR_PRIVSEP_CHANNEL_CLOSED */
  recvInt(): Promise<number> {
    return this.#recv('recvInt', (r) => r.int());
  }

  /** Sends a buf item (a string goes as UTF-8). @throws ERR_OUT_OF_RANGE over the limit, ERR_PRIVSEP_CHANNEL_CLOSED, EPIPE */
  sendBuf(data: Uint8Array | string): Promise<void> {
    return this.#send(() => {
      const bytes = toBufBytes('data', data, this.maxBufBytes);
      return new ItemWriter(ITEM_BYTES.bufHeader + bytes.length).buf(bytes);
    });
  }

  /** Receives a buf item, its length checked against the limit. @throws ERR_PRIVSEP_PROTOCOL, ERR_PRIVSEP_CHANNEL_CLOSED */
  recvBuf(): Promise<Buffer> {
    return this.#recv('recvBuf', (r) => r.buf());
  }

  /**
   * Sends an fd item with the fd attached to it. The sender keeps its copy
   * unless `closeAfterSend`.
   * @throws ERR_INVALID_ARG_TYPE, EBADF, ERR_PRIVSEP_CHANNEL_CLOSED, EPIPE
   */
  sendFd(fd: Sendable, options: { closeAfterSend?: boolean } = {}): Promise<void> {
    try {
      fdOf(fd);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.channel.send(new ItemWriter(ITEM_BYTES.fd).fd().finish(), [fd], options);
  }

  /** Receives an fd item; the caller owns the returned fd. @throws ERR_PRIVSEP_PROTOCOL, ERR_PRIVSEP_CHANNEL_CLOSED */
  recvFd(): Promise<FdHandle> {
    return this.#recv('recvFd', (r) => r.fd());
  }

  #send(encode: () => ItemWriter): Promise<void> {
    let data: Buffer;
    try {
      data = encode().finish();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.channel.send(data);
  }

  async #recv<V>(verb: string, read: (reader: ItemReader) => V): Promise<V> {
    const message: Message = await this.channel.receive();
    try {
      const reader = new ItemReader(message.data, message.fds, this.maxBufBytes, verb);
      const value = read(reader);
      reader.end();
      return value;
    } catch (err) {
      closeFds(message.fds);
      this.channel.close();
      throw err;
    }
  }
}
