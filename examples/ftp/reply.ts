// FTP replies on the control connection: the server formats them (single and
// multi-line, RFC 959 4.2), the client parses them incrementally from the
// byte stream with hard caps on line and reply size. Pure: no I/O.
import { FtpError, FtpProtocolError, excerpt } from './errors.js';
import { isReplyCode } from './reply-codes.js';

/** One complete reply as the client receives it. */
export interface Reply {
  /** The three-digit reply code. */
  code: number;
  /**
   * The reply's lines without the code prefix of the first and last line.
   * Middle lines of a multi-line reply are kept as sent (leading spaces
   * included: FEAT lists its features indented).
   */
  lines: string[];
  /** The lines joined by '\n'. */
  text: string;
}

/**
 * Formats one reply for the server to send, with CRLF line ends.
 *
 * One line gives `NNN text`; several give `NNN-first`, the middle lines, and
 * `NNN last` (RFC 959 4.2). A middle line that starts with a digit is indented
 * by one space so that it can never be read as the reply's last line. CR and
 * LF inside `text` (a file name with a newline, say) start a new line of the
 * same reply rather than a new reply, and NUL bytes are dropped, so nothing a
 * client controls can forge or end a reply early.
 *
 * @param code the reply code, 100..599 (see ReplyCode)
 * @param text one line, several lines as an array, or lines separated by '\n'
 * @returns the reply, ready to write
 * @throws RangeError (ERR_OUT_OF_RANGE) when `code` is not an integer in 100..599
 */
export function formatReply(code: number, text: string | readonly string[]): string {
  if (!isReplyCode(code)) {
    throw Object.assign(new RangeError(`The value of "code" is out of range. It must be an integer >= 100 and <= 599. Received ${code}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  const lines = (typeof text === 'string' ? [text] : text).flatMap((line) => line.replace(/\0/g, '').split(/\r\n|\r|\n/));
  if (lines.length === 0) lines.push('');
  if (lines.length === 1) return `${code} ${lines[0]}\r\n`;
  let out = `${code}-${lines[0]}\r\n`;
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i]!;
    out += (line.charCodeAt(0) >= 0x30 && line.charCodeAt(0) <= 0x39 ? ` ${line}` : line) + '\r\n';
  }
  return `${out}${code} ${lines[lines.length - 1]}\r\n`;
}

/** Limits of a {@link ReplyParser}. */
export interface ReplyParserOptions {
  /** Longest line accepted, without its line end. Default 8 KiB. */
  maxLineBytes?: number;
  /** Longest reply accepted, all lines and line ends together. Default 64 KiB. */
  maxReplyBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8');
const firstLine = /^([1-5]\d\d)(?:([ -])(.*))?$/s;

/**
 * Cuts the bytes of a control connection into replies, as the client reads
 * them. Lines end at LF (a CR before it is dropped, a bare LF is accepted);
 * text is decoded as UTF-8 with bad bytes replaced. Memory stays within the
 * caps whatever the server sends: a longer line or reply is an error, and so
 * is a first line that does not start with a code in 100..599.
 *
 * After an error the parser stays failed: the connection has lost its
 * framing and must be closed.
 */
export class ReplyParser {
  readonly #maxLineBytes: number;
  readonly #maxReplyBytes: number;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #code = 0;
  #lines: string[] = [];
  #replyBytes = 0;
  #failure: FtpProtocolError | null = null;

  constructor(options: ReplyParserOptions = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? 8 * 1024;
    this.#maxReplyBytes = options.maxReplyBytes ?? 64 * 1024;
  }

  /** Bytes received that do not yet make a complete reply. */
  get pendingBytes(): number {
    return this.#replyBytes + this.#partialBytes;
  }

  /**
   * Adds received bytes; returns the replies they complete, in order.
   * @throws FtpProtocolError (ERR_FTP_PROTOCOL) for a malformed line, a line
   *   over `maxLineBytes`, or a reply over `maxReplyBytes`
   */
  push(chunk: Buffer | string): Reply[] {
    if (this.#failure) throw this.#failure;
    try {
      return this.#push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch (err) {
      if (err instanceof FtpProtocolError) this.#failure = err;
      throw err;
    }
  }

  /**
   * Says the connection ended: an incomplete reply is an error.
   * @throws FtpProtocolError (ERR_FTP_PROTOCOL) when a reply was cut short
   */
  end(): void {
    if (this.#failure) throw this.#failure;
    if (this.pendingBytes > 0) {
      this.#failure = new FtpProtocolError(`connection closed in the middle of a reply (${this.pendingBytes} bytes pending)`);
      throw this.#failure;
    }
  }

  #push(chunk: Buffer): Reply[] {
    const replies: Reply[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf;
      if (this.#partialBytes + end - start > this.#maxLineBytes + 1) {
        throw new FtpProtocolError(`reply line longer than ${this.#maxLineBytes} bytes`);
      }
      if (lf === -1) {
        this.#partial.push(chunk.subarray(start));
        this.#partialBytes += chunk.length - start;
        break;
      }
      let bytes = this.#partialBytes === 0 ? chunk.subarray(start, lf) : Buffer.concat([...this.#partial, chunk.subarray(start, lf)]);
      this.#partial = [];
      this.#partialBytes = 0;
      start = lf + 1;
      this.#replyBytes += bytes.length + 1;
      if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
      if (bytes.length > this.#maxLineBytes) throw new FtpProtocolError(`reply line longer than ${this.#maxLineBytes} bytes`);
      if (this.#replyBytes > this.#maxReplyBytes) throw new FtpProtocolError(`reply longer than ${this.#maxReplyBytes} bytes`);
      const reply = this.#line(utf8.decode(bytes));
      if (reply) replies.push(reply);
    }
    return replies;
  }

  #line(line: string): Reply | null {
    if (this.#code === 0) {
      const m = firstLine.exec(line);
      if (!m) throw new FtpProtocolError(`malformed reply line ${excerpt(line)}: it must start with a reply code 100..599`);
      const code = Number(m[1]);
      if (m[2] === '-') {
        this.#code = code;
        this.#lines = [m[3]!];
        return null;
      }
      return this.#finish(code, [m[3] ?? '']);
    }
    const prefix = String(this.#code);
    if (line.startsWith(prefix) && (line.length === 3 || line[3] === ' ')) {
      this.#lines.push(line.slice(4));
      return this.#finish(this.#code, this.#lines);
    }
    this.#lines.push(line);
    return null;
  }

  #finish(code: number, lines: string[]): Reply {
    this.#code = 0;
    this.#lines = [];
    this.#replyBytes = 0;
    return { code, lines, text: lines.join('\n') };
  }
}

/** True when the reply reports a failure (4xx or 5xx). */
export function isFailure(reply: Reply): boolean {
  return reply.code >= 400;
}

/** The {@link FtpError} for a failure reply, with the reply's code and text. */
export function replyError(reply: Reply): FtpError {
  return new FtpError(reply.code, reply.text);
}
