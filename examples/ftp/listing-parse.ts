// The client's directory listing parsers: MLSD fact lines (RFC 3659), Unix
// `ls -l` lines (vsftpd, ProFTPD, pure-ftpd, GNU ls) and DOS/IIS lines, as a
// pluggable array tried in order for each line. Pure.
import { FtpProtocolError, excerpt } from './errors.js';
import { parseTimeVal } from './timeval.js';

/** What kind of entry a listing line describes. */
export type FileType = 'file' | 'directory' | 'symlink' | 'unknown';

/** One entry of a parsed listing. */
export interface FileInfo {
  name: string;
  type: FileType;
  /** Bytes; 0 when the listing does not say (directories in DOS style). */
  size: number;
  modifiedAt?: Date;
  /** Permission bits (0o7777: rwx for user, group, others; setuid, setgid, sticky). */
  mode?: number;
  /** The owner as the listing shows it: a name or a number. */
  owner?: string;
  /** The group as the listing shows it: a name or a number. */
  group?: string;
  /** A symbolic link's target. */
  target?: string;
}

/** What the parsers need besides the line. */
export interface ListParseContext {
  /**
   * The current time, to give a year to Unix dates shown as `Mmm dd HH:MM`:
   * the latest such date that is not more than a day after `now`.
   */
  now: Date;
}

/**
 * One listing format. `parse` returns a FileInfo for a line in its format,
 * null for a line in its format that names no entry (a `total 12` line, `.`,
 * `..`, MLSD's cdir and pdir), and undefined for a line it does not know.
 */
export interface ListLineParser {
  readonly name: string;
  parse(line: string, context: ListParseContext): FileInfo | null | undefined;
}

/** An MLSx entry split into its facts (names in lower case) and its name. */
export interface MlsxFacts {
  name: string;
  facts: Record<string, string>;
}

const factName = /^[A-Za-z0-9.\-_]+$/;

/**
 * Splits one MLSx entry (`fact=value;fact=value; name`) into facts and name,
 * or undefined when the line is not one. At least one fact is required.
 * Values may hold '=' and spaces, never ';'; the name is everything after the
 * space that ends the facts, spaces and ';' included. For a line of an MLST
 * reply, remove its one leading space first.
 */
export function parseMlsxFacts(line: string): MlsxFacts | undefined {
  const facts: Record<string, string> = {};
  let i = 0;
  let count = 0;
  while (i < line.length && line[i] !== ' ') {
    const semi = line.indexOf(';', i);
    const eq = line.indexOf('=', i);
    if (semi === -1 || eq === -1 || eq > semi) return undefined;
    const key = line.slice(i, eq);
    if (!factName.test(key)) return undefined;
    facts[key.toLowerCase()] = line.slice(eq + 1, semi);
    count++;
    i = semi + 1;
  }
  if (count === 0 || line[i] !== ' ' || i + 1 >= line.length) return undefined;
  return { name: line.slice(i + 1), facts };
}

/** The FileInfo an MLSx entry's facts describe. */
export function mlsxFileInfo({ name, facts }: MlsxFacts): FileInfo {
  const type = (facts['type'] ?? '').toLowerCase();
  const info: FileInfo = { name, type: 'unknown', size: 0 };
  if (type === 'file') info.type = 'file';
  else if (type === 'dir' || type === 'cdir' || type === 'pdir') info.type = 'directory';
  else if (type.startsWith('os.unix=slink') || type === 'os.unix=symlink') {
    info.type = 'symlink';
    const colon = (facts['type'] ?? '').indexOf(':');
    if (colon !== -1 && colon + 1 < facts['type']!.length) info.target = facts['type']!.slice(colon + 1);
  }
  const size = facts['size'] ?? facts['sizd'];
  if (size !== undefined && /^\d{1,16}$/.test(size)) info.size = Number(size);
  const modify = facts['modify'] !== undefined ? parseTimeVal(facts['modify']) : null;
  if (modify) info.modifiedAt = modify;
  const mode = facts['unix.mode'];
  if (mode !== undefined && /^[0-7]{1,5}$/.test(mode)) info.mode = parseInt(mode, 8) & 0o7777;
  const owner = facts['unix.ownername'] ?? facts['unix.owner'] ?? facts['unix.uid'];
  if (owner !== undefined) info.owner = owner;
  const group = facts['unix.groupname'] ?? facts['unix.group'] ?? facts['unix.gid'];
  if (group !== undefined) info.group = group;
  return info;
}

/** MLSD lines (RFC 3659). cdir and pdir entries name nothing to list. */
export const mlsxParser: ListLineParser = {
  name: 'mlsx',
  parse(line) {
    const entry = parseMlsxFacts(line);
    if (!entry) return undefined;
    const type = (entry.facts['type'] ?? '').toLowerCase();
    if (type === 'cdir' || type === 'pdir') return null;
    return mlsxFileInfo(entry);
  },
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 24 * 60 * 60 * 1000;

// type, permissions (an ACL '+', SELinux '.' or macOS '@' may follow), links,
// owner and group (the group may be missing), size (or "major, minor" for a
// device), date (`Mmm dd HH:MM`, `Mmm dd YYYY` with the C locale's month
// names, or long-iso `YYYY-MM-DD HH:MM`),
// one space, the name.
const unixLine = new RegExp(
  '^([-bcdlps])([-rwxsStTlL]{9})[.+@]?\\s+(\\d+)\\s+(\\S.*?)\\s+(\\d+|\\d+,\\s*\\d+)\\s+' +
    '(?:(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\\s+(\\d{1,2})\\s+(?:(\\d{1,2}):(\\d{2})|(\\d{4}))|(\\d{4})-(\\d{2})-(\\d{2})\\s+(\\d{2}):(\\d{2}))' +
    ' (.+)$',
);

/** Permission bits from the nine characters after the type in `ls -l`. */
export function modeFromPermissions(perms: string): number {
  let mode = 0;
  for (let i = 0; i < 9; i++) {
    const c = perms[i]!;
    const bit = 0o400 >> i;
    if (c === 'r' || c === 'w' || c === 'x' || c === 's' || c === 't') mode |= bit;
  }
  if (perms[2] === 's' || perms[2] === 'S') mode |= 0o4000;
  if (perms[5] === 's' || perms[5] === 'S' || perms[5] === 'l' || perms[5] === 'L') mode |= 0o2000;
  if (perms[8] === 't' || perms[8] === 'T') mode |= 0o1000;
  return mode;
}

function unixDate(m: RegExpExecArray, now: Date): Date | undefined {
  if (m[11] !== undefined) {
    const date = new Date(Date.UTC(Number(m[11]), Number(m[12]) - 1, Number(m[13]), Number(m[14]), Number(m[15])));
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  const month = MONTHS.indexOf(m[6]!);
  const day = Number(m[7]);
  if (day < 1 || day > 31) return undefined;
  if (m[10] !== undefined) return new Date(Date.UTC(Number(m[10]), month, day));
  const hours = Number(m[8]);
  const minutes = Number(m[9]);
  if (hours > 23 || minutes > 59) return undefined;
  let year = now.getUTCFullYear();
  let date = new Date(Date.UTC(year, month, day, hours, minutes));
  // A date without a year is within the last six months: a date that would
  // be in the future (beyond a day of clock skew) belongs to last year.
  if (date.getTime() > now.getTime() + DAY_MS) date = new Date(Date.UTC(--year, month, day, hours, minutes));
  return date;
}

/** Unix `ls -l` lines, as vsftpd, ProFTPD, pure-ftpd and most Unix servers send. */
export const unixParser: ListLineParser = {
  name: 'unix',
  parse(line, context) {
    if (/^total\s+\d+$/i.test(line)) return null;
    const m = unixLine.exec(line);
    if (!m) return undefined;
    const kind = m[1]!;
    let name = m[16]!;
    const info: FileInfo = { name, type: 'unknown', size: 0, mode: modeFromPermissions(m[2]!) };
    if (kind === '-') info.type = 'file';
    else if (kind === 'd') info.type = 'directory';
    else if (kind === 'l') {
      info.type = 'symlink';
      const arrow = name.indexOf(' -> ');
      if (arrow > 0) {
        info.target = name.slice(arrow + 4);
        name = name.slice(0, arrow);
      }
    }
    info.name = name;
    if (name === '.' || name === '..') return null;
    if (!m[5]!.includes(',')) info.size = Number(m[5]);
    const ids = m[4]!.split(/\s+/).filter((s) => s !== '');
    if (ids.length >= 1) info.owner = ids[0]!;
    if (ids.length >= 2) info.group = ids.slice(1).join(' ');
    const date = unixDate(m, context.now);
    if (date) info.modifiedAt = date;
    return info;
  },
};

// MM-DD-YY or MM-DD-YYYY, hh:mm with AM/PM or 24-hour, <DIR> or a size, name.
const dosLine = /^(\d{2})-(\d{2})-(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm])?\s+(<DIR>|\d+)\s+(.+)$/;

/** DOS-style lines, as Microsoft IIS sends by default. */
export const dosParser: ListLineParser = {
  name: 'dos',
  parse(line) {
    const m = dosLine.exec(line);
    if (!m) return undefined;
    const name = m[8]!;
    if (name === '.' || name === '..') return null;
    let year = Number(m[3]);
    if (m[3]!.length === 2) year += year < 70 ? 2000 : 1900;
    let hours = Number(m[4]);
    const ampm = m[6]?.toUpperCase();
    if (ampm !== undefined && (hours < 1 || hours > 12)) return undefined;
    if (ampm === 'AM' && hours === 12) hours = 0;
    if (ampm === 'PM' && hours !== 12) hours += 12;
    const month = Number(m[1]);
    const day = Number(m[2]);
    const minutes = Number(m[5]);
    const info: FileInfo = { name, type: m[7] === '<DIR>' ? 'directory' : 'file', size: m[7] === '<DIR>' ? 0 : Number(m[7]) };
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hours <= 23 && minutes <= 59) {
      info.modifiedAt = new Date(Date.UTC(year, month - 1, day, hours, minutes));
    }
    return info;
  },
};

/**
 * True for a LIST line, Unix or DOS style, that names the listed directory
 * itself (`.`): `ls -la` shows one, and so do servers that honour `LIST -a`.
 */
export function namesListedDirectory(line: string): boolean {
  return unixLine.exec(line)?.[16] === '.' || dosLine.exec(line)?.[8] === '.';
}

/** The parsers {@link parseList} tries, in order. */
export const defaultListParsers: readonly ListLineParser[] = Object.freeze([mlsxParser, unixParser, dosParser]);

/** Options of {@link parseList}. */
export interface ParseListOptions {
  /** Tried in order for each line; the first that knows the line wins. Default {@link defaultListParsers}. */
  parsers?: readonly ListLineParser[];
  /** The current time, for Unix dates without a year. Default: now. */
  now?: Date;
}

/**
 * Parses a listing received on the data connection (MLSD, or LIST in any
 * known style; lines end in CRLF or LF). Lines that name no entry (`total`,
 * `.`, `..`, cdir, pdir) are skipped, and so is a line no parser knows, unless
 * no line at all could be read.
 *
 * @returns the entries, in the listing's order
 * @throws FtpProtocolError (ERR_FTP_PROTOCOL) when the listing has lines but no parser knows any of them
 */
export function parseList(text: string, options: ParseListOptions = {}): FileInfo[] {
  const parsers = options.parsers ?? defaultListParsers;
  const context: ListParseContext = { now: options.now ?? new Date() };
  const entries: FileInfo[] = [];
  let known = 0;
  let firstUnknown: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    let result: FileInfo | null | undefined;
    for (const parser of parsers) {
      result = parser.parse(line, context);
      if (result !== undefined) break;
    }
    if (result === undefined) {
      firstUnknown ??= line;
      continue;
    }
    known++;
    if (result !== null) entries.push(result);
  }
  if (known === 0 && firstUnknown !== undefined) {
    throw new FtpProtocolError(`unknown listing format: ${excerpt(firstUnknown)}`);
  }
  return entries;
}
