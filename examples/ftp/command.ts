// FTP commands on the control connection: the server frames the byte stream
// into lines (4 KiB cap, Telnet sequences stripped) and parses each line into
// a verb and an argument; the client formats commands and refuses any
// argument that could inject a second command. Pure: no I/O.
import { FtpSyntaxError, checkLimit, excerpt, invalidArgValue } from './errors.js';

/** Longest command line accepted by default, without its line end (vsftpd's limit). */
export const MAX_COMMAND_LINE_BYTES = 4096;

/** Longest verb accepted; FTP's verbs have 3 or 4 letters. */
export const MAX_VERB_LENGTH = 8;

/** One command as the server dispatches it. */
export interface Command {
  /** The verb in upper case: 'RETR'. */
  verb: string;
  /** Everything after the first space, unchanged; '' when there is none. */
  arg: string;
}

/** What the splitter yields: a line to parse, or a line it had to refuse. */
export type FramedLine =
  | {
      ok: true;
      /** The line's bytes, without the line end and without Telnet sequences. */
      bytes: Buffer;
      /** A Telnet Interrupt Process or Data Mark came before it (the prelude of an urgent ABOR). */
      interrupted: boolean;
    }
  | { ok: false; error: FtpSyntaxError };

/** The splitter's state between lines, to carry a connection over to another process. */
export interface SplitterState {
  /**
   * Bytes of the line in progress, in wire form: Telnet sequences already
   * handled are gone, a 0xFF data byte is doubled, and a Telnet sequence cut
   * off by the end of the last chunk is kept as received so far.
   */
  partial: Buffer;
  /** The line in progress was too long and is being skipped up to its end. */
  discarding: boolean;
  /** A Telnet IP or DM came before the line in progress. */
  interrupted: boolean;
}

/** Options of a {@link CommandLineSplitter}. */
export interface SplitterOptions {
  /** Longest line accepted, without its line end. Default {@link MAX_COMMAND_LINE_BYTES}. */
  maxLineBytes?: number;
  /** Resume from the state another splitter handed over with `takeState()`. */
  state?: SplitterState;
}

const LF = 0x0a;
const CR = 0x0d;
// Telnet (RFC 854) bytes that RFC 959 lets a client send on the control connection.
const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;
const IP = 244;
const DM = 242;

const enum Mode {
  Data,
  Iac,
  Option,
  Subnegotiation,
  SubnegotiationIac,
}

/**
 * Cuts a control connection's byte stream into command lines, as the server
 * reads it.
 *
 * Lines end at CRLF, or at a bare LF as vsftpd accepts. Telnet sequences are
 * removed as RFC 959 asks of servers: IAC IAC stands for a 0xFF data byte,
 * IAC WILL/WONT/DO/DONT take their option byte with them, IAC SB ... IAC SE is
 * skipped, and any other IAC command (IP, DM, NOP, ...) is dropped. The
 * sequence IAC IP IAC DM that clients send before ABOR marks the next line
 * `interrupted`. When the client sends DM as TCP urgent data and the socket
 * does not have SO_OOBINLINE, the DM byte never arrives; the IAC left alone
 * before an ordinary byte is dropped and the byte kept, so the ABOR that
 * follows still reads as ABOR.
 *
 * Memory is bounded: a line over `maxLineBytes` yields one error as soon as
 * the cap is crossed, and the rest of it is skipped up to its line end.
 */
export class CommandLineSplitter {
  readonly #maxLineBytes: number;
  readonly #line: Buffer;
  #length = 0;
  #discarding = false;
  #interrupted = false;
  #mode = Mode.Data;

  /**
   * @throws RangeError (ERR_OUT_OF_RANGE) for a `maxLineBytes` that is not a positive integer;
   *   TypeError (ERR_INVALID_ARG_VALUE) for a `state` whose partial bytes hold a whole line
   */
  constructor(options: SplitterOptions = {}) {
    this.#maxLineBytes = checkLimit('maxLineBytes', options.maxLineBytes, MAX_COMMAND_LINE_BYTES);
    // One byte more than the cap, for the CR of a CRLF.
    this.#line = Buffer.allocUnsafe(this.#maxLineBytes + 1);
    if (options.state) {
      this.#discarding = options.state.discarding;
      this.#interrupted = options.state.interrupted;
      if (this.push(options.state.partial).length > 0) {
        throw invalidArgValue('state', options.state.partial.length, 'must not hold a complete line');
      }
    }
  }

  /** Bytes held of the line in progress. */
  get pendingBytes(): number {
    return this.#length;
  }

  /**
   * Adds received bytes; returns the lines (or line errors) they complete, in order.
   * Never throws for any input.
   */
  push(chunk: Buffer): FramedLine[] {
    const out: FramedLine[] = [];
    // Positions of the next LF and IAC at or after i, found by native scans
    // and searched again only once i has passed them (-1: none left).
    let nextLf = -2;
    let nextIac = -2;
    let i = 0;
    while (i < chunk.length) {
      if (this.#mode === Mode.Data) {
        // Fast path: copy the run of ordinary bytes up to the next LF or IAC.
        if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
        if (nextIac !== -1 && nextIac < i) nextIac = chunk.indexOf(IAC, i);
        const j = Math.min(nextLf === -1 ? chunk.length : nextLf, nextIac === -1 ? chunk.length : nextIac);
        this.#append(chunk, i, j, out);
        i = j;
        if (i === chunk.length) break;
        if (chunk[i] === LF) this.#endLine(out);
        else this.#mode = Mode.Iac;
        i++;
        continue;
      }
      const byte = chunk[i]!;
      switch (this.#mode) {
        case Mode.Iac:
          this.#mode = Mode.Data;
          if (byte === IAC) this.#append(chunk, i, i + 1, out);
          else if (byte >= WILL && byte <= DONT) this.#mode = Mode.Option;
          else if (byte === SB) this.#mode = Mode.Subnegotiation;
          else if (byte === IP || byte === DM) this.#interrupted = true;
          else if (byte < SE) continue; // a lone IAC: keep the byte that follows it
          break;
        case Mode.Option:
          this.#mode = Mode.Data;
          break;
        case Mode.Subnegotiation:
          if (byte === IAC) this.#mode = Mode.SubnegotiationIac;
          break;
        case Mode.SubnegotiationIac:
          this.#mode = byte === SE ? Mode.Data : Mode.Subnegotiation;
          break;
      }
      i++;
    }
    return out;
  }

  /**
   * Takes the line in progress out of the splitter, to hand the connection
   * to another process: `new CommandLineSplitter({ state })` there goes on
   * exactly where this one stopped. This splitter is left empty.
   */
  takeState(): SplitterState {
    const partial = Buffer.concat([escapeIac(this.#line.subarray(0, this.#length)), Buffer.from(pendingSequence[this.#mode])]);
    const state: SplitterState = { partial, discarding: this.#discarding, interrupted: this.#interrupted };
    this.#length = 0;
    this.#discarding = false;
    this.#interrupted = false;
    this.#mode = Mode.Data;
    return state;
  }

  #append(chunk: Buffer, from: number, to: number, out: FramedLine[]): void {
    if (this.#discarding || from === to) return;
    const room = this.#line.length - this.#length;
    if (to - from > room) {
      this.#discarding = true;
      this.#length = 0;
      out.push({
        ok: false,
        error: new FtpSyntaxError('ERR_FTP_LINE_TOO_LONG', `command line longer than ${this.#maxLineBytes} bytes`, 500),
      });
      return;
    }
    chunk.copy(this.#line, this.#length, from, to);
    this.#length += to - from;
  }

  #endLine(out: FramedLine[]): void {
    let length = this.#length;
    if (length > 0 && this.#line[length - 1] === CR) length--;
    if (this.#discarding) {
      this.#discarding = false;
    } else if (length > this.#maxLineBytes) {
      out.push({
        ok: false,
        error: new FtpSyntaxError('ERR_FTP_LINE_TOO_LONG', `command line longer than ${this.#maxLineBytes} bytes`, 500),
      });
    } else {
      out.push({ ok: true, bytes: Buffer.from(this.#line.subarray(0, length)), interrupted: this.#interrupted });
    }
    this.#length = 0;
    this.#interrupted = false;
  }
}

// Bytes that put a fresh splitter in each mode: the start of a Telnet
// sequence that the end of a chunk cut off.
const pendingSequence: Record<Mode, number[]> = {
  [Mode.Data]: [],
  [Mode.Iac]: [IAC],
  [Mode.Option]: [IAC, WILL],
  [Mode.Subnegotiation]: [IAC, SB],
  [Mode.SubnegotiationIac]: [IAC, SB, IAC],
};

function escapeIac(bytes: Buffer): Buffer {
  if (!bytes.includes(IAC)) return Buffer.from(bytes);
  const out: number[] = [];
  for (const b of bytes) {
    out.push(b);
    if (b === IAC) out.push(IAC);
  }
  return Buffer.from(out);
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const verbPattern = /^[A-Za-z]+$/;

/**
 * Parses one command line (as a {@link CommandLineSplitter} yields it) into
 * verb and argument.
 *
 * The verb is letters only, at most {@link MAX_VERB_LENGTH}, and is returned
 * in upper case; the argument is everything after the first space, kept as
 * sent so that file names may start or end with spaces.
 *
 * @param line the line's bytes, without its line end
 * @param maxLineBytes the longest line accepted (default 4 KiB)
 * @returns the verb and the argument
 * @throws FtpSyntaxError with replyCode 500: ERR_FTP_LINE_TOO_LONG, ERR_FTP_EMPTY_LINE,
 *   ERR_FTP_NUL_BYTE, ERR_FTP_CONTROL_CHARACTER (a CR or LF inside), ERR_FTP_INVALID_UTF8,
 *   ERR_FTP_BAD_VERB
 */
export function parseCommand(line: Buffer, maxLineBytes = MAX_COMMAND_LINE_BYTES): Command {
  if (line.length > maxLineBytes) {
    throw new FtpSyntaxError('ERR_FTP_LINE_TOO_LONG', `command line longer than ${maxLineBytes} bytes`, 500);
  }
  if (line.length === 0) throw new FtpSyntaxError('ERR_FTP_EMPTY_LINE', 'empty command line', 500);
  if (line.includes(0)) throw new FtpSyntaxError('ERR_FTP_NUL_BYTE', 'NUL byte in command line', 500);
  if (line.includes(CR) || line.includes(LF)) {
    throw new FtpSyntaxError('ERR_FTP_CONTROL_CHARACTER', 'CR or LF inside a command line', 500);
  }
  let text: string;
  try {
    text = utf8Strict.decode(line);
  } catch {
    throw new FtpSyntaxError('ERR_FTP_INVALID_UTF8', 'command line is not valid UTF-8', 500);
  }
  const space = text.indexOf(' ');
  const verb = space === -1 ? text : text.slice(0, space);
  if (verb.length > MAX_VERB_LENGTH || !verbPattern.test(verb)) {
    throw new FtpSyntaxError('ERR_FTP_BAD_VERB', `bad command verb ${excerpt(verb, 16)}`, 500);
  }
  return { verb: verb.toUpperCase(), arg: space === -1 ? '' : text.slice(space + 1) };
}

/**
 * Formats one command for the client to send, with its CRLF.
 *
 * @param verb letters only, at most {@link MAX_VERB_LENGTH}
 * @param arg the argument; omitted or '' sends the verb alone
 * @returns `VERB arg\r\n`
 * @throws FtpSyntaxError ERR_FTP_BAD_VERB for a malformed verb; ERR_FTP_CONTROL_CHARACTER
 *   or ERR_FTP_NUL_BYTE when `arg` holds CR, LF or NUL, which could smuggle a second command
 */
export function formatCommand(verb: string, arg = ''): string {
  if (verb.length > MAX_VERB_LENGTH || !verbPattern.test(verb)) {
    throw new FtpSyntaxError('ERR_FTP_BAD_VERB', `bad command verb ${excerpt(verb, 16)}`);
  }
  if (arg.includes('\0')) throw new FtpSyntaxError('ERR_FTP_NUL_BYTE', `NUL byte in the argument of ${verb}`);
  if (arg.includes('\r') || arg.includes('\n')) {
    throw new FtpSyntaxError('ERR_FTP_CONTROL_CHARACTER', `CR or LF in the argument of ${verb}: ${excerpt(arg)}`);
  }
  return arg === '' ? `${verb}\r\n` : `${verb} ${arg}\r\n`;
}
