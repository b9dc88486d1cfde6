// The FTP reply codes, declared once with a name and RFC 959's meaning, as
// vsftpd's ftpcodes.h: server and client both speak of ReplyCode.LoggedIn,
// never of a bare 230. Pure.
import { outOfRange } from './errors.js';

/**
 * Every reply code the server sends or the client must understand (RFC 959
 * 4.2.2, RFC 2228, RFC 2428, RFC 3659). `text` is the meaning, usable as a
 * default reply text.
 */
export const REPLY_CODES = {
  RestartMarker: { code: 110, text: 'Restart marker reply' },
  ServiceReadyLater: { code: 120, text: 'Service ready in a few minutes' },
  DataConnectionAlreadyOpen: { code: 125, text: 'Data connection already open; transfer starting' },
  FileStatusOk: { code: 150, text: 'File status okay; about to open data connection' },
  Ok: { code: 200, text: 'Command okay' },
  Superfluous: { code: 202, text: 'Command not implemented, superfluous at this site' },
  SystemStatus: { code: 211, text: 'System status, or system help reply' },
  DirectoryStatus: { code: 212, text: 'Directory status' },
  FileStatus: { code: 213, text: 'File status' },
  HelpMessage: { code: 214, text: 'Help message' },
  SystemType: { code: 215, text: 'NAME system type' },
  ServiceReady: { code: 220, text: 'Service ready for new user' },
  ClosingControlConnection: { code: 221, text: 'Service closing control connection' },
  DataConnectionOpen: { code: 225, text: 'Data connection open; no transfer in progress' },
  ClosingDataConnection: { code: 226, text: 'Closing data connection; requested file action successful' },
  EnteringPassiveMode: { code: 227, text: 'Entering Passive Mode' },
  EnteringExtendedPassiveMode: { code: 229, text: 'Entering Extended Passive Mode' },
  LoggedIn: { code: 230, text: 'User logged in, proceed' },
  SecurityExchangeComplete: { code: 234, text: 'Security data exchange complete (AUTH accepted: the TLS handshake follows)' },
  FileActionOk: { code: 250, text: 'Requested file action okay, completed' },
  FileTimeChanged: { code: 253, text: 'File time changed (some servers\' answer to MFMT)' },
  PathnameCreated: { code: 257, text: 'Pathname created' },
  NeedPassword: { code: 331, text: 'User name okay, need password' },
  NeedAccount: { code: 332, text: 'Need account for login' },
  PendingFurtherInformation: { code: 350, text: 'Requested file action pending further information' },
  ServiceNotAvailable: { code: 421, text: 'Service not available, closing control connection' },
  CannotOpenDataConnection: { code: 425, text: "Can't open data connection" },
  TransferAborted: { code: 426, text: 'Connection closed; transfer aborted' },
  InvalidUserOrPassword: { code: 430, text: 'Invalid username or password' },
  FileActionNotTaken: { code: 450, text: 'Requested file action not taken; file unavailable' },
  LocalError: { code: 451, text: 'Requested action aborted: local error in processing' },
  InsufficientStorage: { code: 452, text: 'Requested action not taken; insufficient storage space' },
  SyntaxError: { code: 500, text: 'Syntax error, command unrecognized' },
  SyntaxErrorInArguments: { code: 501, text: 'Syntax error in parameters or arguments' },
  CommandNotImplemented: { code: 502, text: 'Command not implemented' },
  BadSequence: { code: 503, text: 'Bad sequence of commands' },
  ParameterNotImplemented: { code: 504, text: 'Command not implemented for that parameter' },
  NetworkProtocolNotSupported: { code: 522, text: 'Network protocol not supported' },
  NotLoggedIn: { code: 530, text: 'Not logged in' },
  NeedAccountForStoring: { code: 532, text: 'Need account for storing files' },
  ProtectionLevelNotSupported: { code: 536, text: 'Requested PROT level not supported by mechanism' },
  FileUnavailable: { code: 550, text: 'Requested action not taken; file unavailable' },
  PageTypeUnknown: { code: 551, text: 'Requested action aborted: page type unknown' },
  StorageAllocationExceeded: { code: 552, text: 'Requested file action aborted; exceeded storage allocation' },
  FileNameNotAllowed: { code: 553, text: 'Requested action not taken; file name not allowed' },
} as const;

/** A reply code's name, as declared in {@link REPLY_CODES}. */
export type ReplyCodeName = keyof typeof REPLY_CODES;

/** The numeric value of every named reply code: `ReplyCode.LoggedIn === 230`. */
export const ReplyCode = Object.freeze(
  Object.fromEntries(Object.entries(REPLY_CODES).map(([name, { code }]) => [name, code])),
) as { readonly [K in ReplyCodeName]: (typeof REPLY_CODES)[K]['code'] };

/** One of the reply codes declared in {@link REPLY_CODES}. */
export type KnownReplyCode = (typeof ReplyCode)[ReplyCodeName];

const byCode = new Map<number, { name: ReplyCodeName; text: string }>(
  Object.entries(REPLY_CODES).map(([name, { code, text }]) => [code, { name: name as ReplyCodeName, text }]),
);

/** The name of a known reply code, or undefined (`replyCodeName(230) === 'LoggedIn'`). */
export function replyCodeName(code: number): ReplyCodeName | undefined {
  return byCode.get(code)?.name;
}

/** RFC 959's meaning of a known reply code, usable as a default reply text. */
export function defaultReplyText(code: number): string | undefined {
  return byCode.get(code)?.text;
}

/**
 * What the first digit of a reply code says (RFC 959 4.2.1): a preliminary
 * reply (another follows), completion, an intermediate step, a transient or a
 * permanent failure.
 */
export type ReplyKind = 'preliminary' | 'completion' | 'intermediate' | 'transientFailure' | 'permanentFailure';

/**
 * The kind of a reply code, from its first digit.
 * @throws RangeError (ERR_OUT_OF_RANGE) when `code` is not an integer in 100..599
 */
export function replyKind(code: number): ReplyKind {
  if (!isReplyCode(code)) {
    throw outOfRange('code', 'an integer >= 100 and <= 599', code);
  }
  return (['preliminary', 'completion', 'intermediate', 'transientFailure', 'permanentFailure'] as const)[Math.floor(code / 100) - 1]!;
}

/** True for an integer in 100..599, the only codes FTP defines. */
export function isReplyCode(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 599;
}
