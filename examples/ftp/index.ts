// The FTP protocol code shared by the server (miniftp) and the client
// (ftpfs): reply codes, replies, commands, data connection addresses,
// listings, paths. Pure: no I/O and no import from the privsep library.
export { FtpError, FtpProtocolError, FtpSyntaxError, type FtpSyntaxErrorCode } from './errors.js';
export {
  REPLY_CODES,
  ReplyCode,
  replyCodeName,
  defaultReplyText,
  replyKind,
  isReplyCode,
  type ReplyCodeName,
  type KnownReplyCode,
  type ReplyKind,
} from './reply-codes.js';
export { formatReply, ReplyParser, isFailure, replyError, type Reply, type ReplyParserOptions } from './reply.js';
export {
  CommandLineSplitter,
  parseCommand,
  formatCommand,
  MAX_COMMAND_LINE_BYTES,
  MAX_VERB_LENGTH,
  type Command,
  type FramedLine,
  type SplitterState,
  type SplitterOptions,
} from './command.js';
export {
  addressBytes,
  normalizeAddress,
  addressFamily,
  sameAddress,
  encodeHostPort,
  decodeHostPort,
  pasvReplyText,
  parsePasvReply,
  encodeEprt,
  decodeEprt,
  parseEpsvArgument,
  epsvReplyText,
  parseEpsvReply,
  type HostPort,
  type ExtendedHostPort,
  type AddressFamily,
  type EpsvRequest,
} from './address.js';
export { formatTimeVal, parseTimeVal } from './timeval.js';
export {
  permissionString,
  isSymlinkMode,
  isDirectoryMode,
  isFileMode,
  listDate,
  formatListLine,
  formatList,
  ListFormatter,
  formatNameList,
  MLSX_FACTS,
  mlsxTypeOfMode,
  formatMlsxLine,
  MlsxFormatter,
  mlstFeature,
  parseMlstOptions,
  type ListEntry,
  type IdDisplay,
  type ListFormatOptions,
  type MlsxFact,
  type MlsxType,
  type MlsxEntry,
} from './listing-format.js';
export {
  parseList,
  parseMlsxFacts,
  mlsxFileInfo,
  modeFromPermissions,
  mlsxParser,
  unixParser,
  dosParser,
  defaultListParsers,
  namesListedDirectory,
  type FileInfo,
  type FileType,
  type ListParseContext,
  type ListLineParser,
  type MlsxFacts,
  type ParseListOptions,
} from './listing-parse.js';
export { resolvePath, virtualToReal, realToVirtual, isInsideRoot, quotePathname, parsePathnameReply } from './path.js';
export { featureReplyLines, parseFeatures } from './features.js';
