// The server's directory listings: LIST lines in vsftpd's `ls -l` layout,
// NLST name lines, and MLSD/MLST fact lines (RFC 3659). The server stats the
// files and looks up names; this file only lays the facts out. Pure.
import { invalidArgValue } from './errors.js';
import { formatTimeVal } from './timeval.js';

/** What the server knows of one directory entry (an lstat, plus names it looked up). */
export interface ListEntry {
  name: string;
  /** st_mode: file type bits and permission bits. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  /** The owner's user name, when the server looked it up. */
  ownerName?: string;
  /** The group's name, when the server looked it up. */
  groupName?: string;
  /** A symbolic link's target, shown as `name -> target`. */
  target?: string;
}

/** How LIST shows owners and groups: names, numbers (vsftpd's default), or "ftp" for both (hide_ids). */
export type IdDisplay = 'names' | 'numeric' | 'hidden';

/** Options of {@link formatListLine}. */
export interface ListFormatOptions {
  /** The time the listing is made: decides between `HH:MM` and the year. */
  now: Date;
  /** Default 'numeric'. With 'names', an entry without ownerName/groupName shows the number. */
  ids?: IdDisplay;
  /** The time zone dates are shown in. Default 'utc', as vsftpd without use_localtime. */
  timeZone?: 'utc' | 'local';
}

// File type bits of st_mode (S_IFMT and its values), from <sys/stat.h>.
const S_IFMT = 0o170000;
const typeChar: ReadonlyMap<number, string> = new Map([
  [0o140000, 's'],
  [0o120000, 'l'],
  [0o100000, '-'],
  [0o060000, 'b'],
  [0o040000, 'd'],
  [0o020000, 'c'],
  [0o010000, 'p'],
]);

/** True when `mode` is a symbolic link's. */
export function isSymlinkMode(mode: number): boolean {
  return (mode & S_IFMT) === 0o120000;
}

/** True when `mode` is a directory's. */
export function isDirectoryMode(mode: number): boolean {
  return (mode & S_IFMT) === 0o040000;
}

/** True when `mode` is a regular file's. */
export function isFileMode(mode: number): boolean {
  return (mode & S_IFMT) === 0o100000;
}

/**
 * The ten-character permission string of `ls -l`: the type character (`-`,
 * `d`, `l`, `p`, `s`, `c`, `b`; `?` for an unknown type), then rwx for user,
 * group and others, with s/S for setuid and setgid and t/T for the sticky bit.
 */
export function permissionString(mode: number): string {
  const chars = [typeChar.get(mode & S_IFMT) ?? '?'];
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) chars.push(mode & (0o400 >> i) ? rwx[i]! : '-');
  const special = (index: number, bit: number, set: string, unset: string) => {
    if (mode & bit) chars[index] = chars[index] === 'x' ? set : unset;
  };
  special(3, 0o4000, 's', 'S');
  special(6, 0o2000, 's', 'S');
  special(9, 0o1000, 't', 'T');
  return chars.join('');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// vsftpd's bound: a date more than 182 days old, or in the future, shows its year.
const RECENT_SECONDS = 60 * 60 * 24 * 182;

/**
 * The date column of a LIST line, as vsftpd writes it: `Mmm dd HH:MM` for a
 * time at most 182 days before `now`, else `Mmm dd  YYYY` (also for times in
 * the future). The day is zero-padded.
 */
export function listDate(mtime: Date, now: Date, timeZone: 'utc' | 'local' = 'utc'): string {
  const utc = timeZone === 'utc';
  const two = (n: number) => String(n).padStart(2, '0');
  const month = MONTHS[utc ? mtime.getUTCMonth() : mtime.getMonth()];
  const day = two(utc ? mtime.getUTCDate() : mtime.getDate());
  const then = Math.floor(mtime.getTime() / 1000);
  const current = Math.floor(now.getTime() / 1000);
  if (then > current || current - then > RECENT_SECONDS) {
    return `${month} ${day}  ${utc ? mtime.getUTCFullYear() : mtime.getFullYear()}`;
  }
  const hours = two(utc ? mtime.getUTCHours() : mtime.getHours());
  const minutes = two(utc ? mtime.getUTCMinutes() : mtime.getMinutes());
  return `${month} ${day} ${hours}:${minutes}`;
}

/**
 * One LIST line in vsftpd's layout, without its line end:
 * `drwxr-xr-x    2 1000     1000         4096 Jan 05 10:00 name`
 * (permissions; link count right-aligned in 4; owner and group left-aligned
 * in 8; size right-aligned in 8; date; name, and ` -> target` for a link).
 */
export function formatListLine(entry: ListEntry, options: ListFormatOptions): string {
  const ids = options.ids ?? 'numeric';
  const owner = ids === 'hidden' ? 'ftp' : ids === 'names' ? entry.ownerName ?? String(entry.uid) : String(entry.uid);
  const group = ids === 'hidden' ? 'ftp' : ids === 'names' ? entry.groupName ?? String(entry.gid) : String(entry.gid);
  let name = entry.name;
  if (isSymlinkMode(entry.mode) && entry.target) name += ` -> ${entry.target}`;
  return `${permissionString(entry.mode)} ${String(entry.nlink).padStart(4)} ${owner.padEnd(8)} ${group.padEnd(8)} ` +
    `${String(entry.size).padStart(8)} ${listDate(entry.mtime, options.now, options.timeZone)} ${name}`;
}

/** A whole LIST body: one line per entry, each ended by CRLF. */
export function formatList(entries: readonly ListEntry[], options: ListFormatOptions): string {
  let out = '';
  for (const entry of entries) out += formatListLine(entry, options) + '\r\n';
  return out;
}

// Distinct values a ListFormatter remembers before it starts over.
const FORMATTER_CACHE_LIMIT = 4096;
const HIDDEN_ID_COLUMN = 'ftp'.padEnd(8);

/**
 * Lays out the LIST lines of one listing, exactly as {@link formatListLine}
 * does, but faster for large directories: each distinct mode, owner, group
 * and modification second is laid out once, not once per entry.
 */
export class ListFormatter {
  readonly #options: ListFormatOptions;
  readonly #ids: IdDisplay;
  readonly #permissions = new Map<number, string>();
  // Padded owner and group columns: by number, and by name.
  readonly #idColumns = new Map<number, string>();
  readonly #nameColumns = new Map<string, string>();
  readonly #links = new Map<number, string>();
  readonly #dates = new Map<number, string>();
  // The last line's columns before the size, and what they were laid out from:
  // the entries of a directory mostly share them with the entry before.
  #head = { mode: NaN, nlink: NaN, uid: NaN, gid: NaN, ownerName: undefined as string | undefined, groupName: undefined as string | undefined, text: '' };

  constructor(options: ListFormatOptions) {
    this.#options = options;
    this.#ids = options.ids ?? 'numeric';
  }

  /** The entry's line, without its line end. */
  format(entry: ListEntry): string {
    return this.formatFacts(entry.name, entry.mode, entry.nlink, entry.uid, entry.gid, entry.size, entry.mtime.getTime(),
      entry.ownerName, entry.groupName, entry.target);
  }

  /** {@link format}'s line from the facts themselves (mtime in milliseconds): no ListEntry or Date per entry. */
  formatFacts(name: string, mode: number, nlink: number, uid: number, gid: number, size: number, mtimeMs: number,
    ownerName?: string, groupName?: string, target?: string): string {
    const shown = target && isSymlinkMode(mode) ? `${name} -> ${target}` : name;
    const head = this.#head;
    if (mode !== head.mode || nlink !== head.nlink || uid !== head.uid || gid !== head.gid || ownerName !== head.ownerName || groupName !== head.groupName) {
      this.#head = { mode, nlink, uid, gid, ownerName, groupName,
        text: `${this.#permission(mode)} ${this.#linkCount(nlink)} ${this.#column(uid, ownerName)} ${this.#column(gid, groupName)} ` };
    }
    return `${this.#head.text}${String(size).padStart(8)} ${this.#date(mtimeMs)} ${shown}`;
  }

  #linkCount(nlink: number): string {
    let text = this.#links.get(nlink);
    if (text === undefined) {
      if (this.#links.size >= FORMATTER_CACHE_LIMIT) this.#links.clear();
      text = String(nlink).padStart(4);
      this.#links.set(nlink, text);
    }
    return text;
  }

  #permission(mode: number): string {
    let text = this.#permissions.get(mode);
    if (text === undefined) {
      if (this.#permissions.size >= FORMATTER_CACHE_LIMIT) this.#permissions.clear();
      text = permissionString(mode);
      this.#permissions.set(mode, text);
    }
    return text;
  }

  // The owner or group column, padded: "ftp" when hidden, else the name or the number.
  #column(id: number, name: string | undefined): string {
    if (this.#ids === 'hidden') return HIDDEN_ID_COLUMN;
    const byName = this.#ids === 'names' && name !== undefined;
    const cache: Map<number | string, string> = byName ? this.#nameColumns : this.#idColumns;
    const key = byName ? name : id;
    let text = cache.get(key);
    if (text === undefined) {
      if (cache.size >= FORMATTER_CACHE_LIMIT) cache.clear();
      text = (byName ? name : String(id)).padEnd(8);
      cache.set(key, text);
    }
    return text;
  }

  #date(mtimeMs: number): string {
    // listDate looks at whole seconds only.
    const second = Math.floor(mtimeMs / 1000);
    let text = this.#dates.get(second);
    if (text === undefined) {
      if (this.#dates.size >= FORMATTER_CACHE_LIMIT) this.#dates.clear();
      text = listDate(new Date(mtimeMs), this.#options.now, this.#options.timeZone);
      this.#dates.set(second, text);
    }
    return text;
  }
}

/**
 * A whole NLST body: one name per line, each ended by CRLF. With `dir`, each
 * name is prefixed by it and a '/', as vsftpd does for `NLST dir`.
 */
export function formatNameList(names: readonly string[], dir?: string): string {
  const prefix = dir === undefined || dir === '' || dir === '.' ? '' : dir.endsWith('/') ? dir : `${dir}/`;
  let out = '';
  for (const name of names) out += `${prefix}${name}\r\n`;
  return out;
}

/** The facts miniftp can give in MLSD/MLST, in the order they are written. */
export const MLSX_FACTS = ['type', 'size', 'modify', 'perm', 'unix.mode', 'unix.uid', 'unix.gid', 'unix.ownername', 'unix.groupname'] as const;

/** One of {@link MLSX_FACTS}. */
export type MlsxFact = (typeof MLSX_FACTS)[number];

/** An MLSx entry's type fact: RFC 3659's four, or a Unix-specific one. */
export type MlsxType = 'file' | 'dir' | 'cdir' | 'pdir' | 'OS.unix=symlink' | 'OS.unix=special';

/** What the server gives for one MLSx entry; a fact left undefined is left out. */
export interface MlsxEntry {
  name: string;
  type?: MlsxType;
  size?: number;
  mtime?: Date;
  /** RFC 3659 7.5.5 perm letters, a subset of "acdeflmprw", as the server decided for this user. */
  perm?: string;
  /** Permission bits (st_mode & 0o7777), written in octal as 0755. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** The owner's and group's names (the unix.ownername and unix.groupname facts that several servers give). */
  ownerName?: string;
  groupName?: string;
}

/** The type fact for an st_mode: file, dir, OS.unix=symlink or OS.unix=special. */
export function mlsxTypeOfMode(mode: number): MlsxType {
  if (isFileMode(mode)) return 'file';
  if (isDirectoryMode(mode)) return 'dir';
  if (isSymlinkMode(mode)) return 'OS.unix=symlink';
  return 'OS.unix=special';
}

/**
 * One MLSx entry, without its line end: `type=file;size=12;modify=20240105100000; name`.
 * Each fact is `name=value;`, then one space, then the name (RFC 3659 7.2).
 * MLSD sends it followed by CRLF on the data connection; MLST sends it after
 * a single space as a middle line of its 250 reply.
 *
 * @param facts the facts to include (OPTS MLST selects them); default all
 * @throws TypeError (ERR_INVALID_ARG_VALUE) when `perm` holds a letter outside "acdeflmprw"
 */
export function formatMlsxLine(entry: MlsxEntry, facts: readonly MlsxFact[] = MLSX_FACTS): string {
  if (entry.perm !== undefined && !/^[acdeflmprw]*$/.test(entry.perm)) {
    throw invalidArgValue('perm', entry.perm, 'must hold only the letters acdeflmprw');
  }
  const values: Record<MlsxFact, string | undefined> = {
    type: entry.type,
    size: entry.size === undefined ? undefined : String(entry.size),
    modify: entry.mtime === undefined ? undefined : formatTimeVal(entry.mtime),
    perm: entry.perm,
    'unix.mode': entry.mode === undefined ? undefined : '0' + (entry.mode & 0o7777).toString(8).padStart(3, '0'),
    'unix.uid': entry.uid === undefined ? undefined : String(entry.uid),
    'unix.gid': entry.gid === undefined ? undefined : String(entry.gid),
    'unix.ownername': entry.ownerName,
    'unix.groupname': entry.groupName,
  };
  let out = '';
  for (const fact of MLSX_FACTS) {
    const value = values[fact];
    if (value !== undefined && facts.includes(fact)) out += `${fact}=${value};`;
  }
  return `${out} ${entry.name}`;
}

/**
 * Lays out the MLSx lines of one listing, exactly as {@link formatMlsxLine}
 * does, but faster for large directories: the facts are chosen once, and
 * each distinct modification second, mode and perm value is laid out (or
 * checked) once, not once per entry.
 */
export class MlsxFormatter {
  readonly #facts: ReadonlySet<MlsxFact>;
  readonly #modify = new Map<number, string>();
  readonly #modes = new Map<number, string>();
  readonly #perms = new Set<string>();
  // The last line's facts after the size, and what they were laid out from:
  // the entries of a directory mostly share them with the entry before.
  #tail: { second: number; perm?: string; mode?: number; uid?: number; gid?: number; ownerName?: string; groupName?: string; text: string } = { second: NaN, text: '' };

  /** @param facts the facts to include (OPTS MLST selects them); default all */
  constructor(facts: readonly MlsxFact[] = MLSX_FACTS) {
    this.#facts = new Set(facts);
  }

  /**
   * The entry's line, without its line end.
   * @throws as formatMlsxLine does
   */
  format(entry: MlsxEntry): string {
    return this.formatFacts(entry.name, entry.type, entry.size, entry.mtime?.getTime(), entry.perm, entry.mode, entry.uid, entry.gid,
      entry.ownerName, entry.groupName);
  }

  /**
   * {@link format}'s line from the facts themselves (mtime in milliseconds),
   * a fact left undefined left out: no MlsxEntry or Date per entry.
   * @throws as formatMlsxLine does
   */
  formatFacts(name: string, type: MlsxType | undefined, size: number | undefined, mtimeMs: number | undefined, perm: string | undefined,
    mode: number | undefined, uid: number | undefined, gid: number | undefined, ownerName: string | undefined, groupName: string | undefined): string {
    const facts = this.#facts;
    let out = '';
    if (type !== undefined && facts.has('type')) out += `type=${type};`;
    if (size !== undefined && facts.has('size')) out += `size=${size};`;
    const second = mtimeMs === undefined ? NaN : Math.floor(mtimeMs / 1000);
    const tail = this.#tail;
    // (Without a time, NaN: laid out each time.)
    if (second === tail.second && perm === tail.perm && mode === tail.mode && uid === tail.uid && gid === tail.gid &&
      ownerName === tail.ownerName && groupName === tail.groupName) {
      return `${out}${tail.text} ${name}`;
    }
    const text = this.#tailText(mtimeMs, perm, mode, uid, gid, ownerName, groupName);
    this.#tail = { second, perm, mode, uid, gid, ownerName, groupName, text };
    return `${out}${text} ${name}`;
  }

  // The facts after the size.
  #tailText(mtimeMs: number | undefined, perm: string | undefined, mode: number | undefined, uid: number | undefined, gid: number | undefined,
    ownerName: string | undefined, groupName: string | undefined): string {
    const facts = this.#facts;
    if (perm !== undefined && !this.#perms.has(perm)) {
      if (!/^[acdeflmprw]*$/.test(perm)) throw invalidArgValue('perm', perm, 'must hold only the letters acdeflmprw');
      if (this.#perms.size >= FORMATTER_CACHE_LIMIT) this.#perms.clear();
      this.#perms.add(perm);
    }
    // Laid out even when not shown, as formatMlsxLine does: a date it cannot write is refused.
    const modify = mtimeMs === undefined ? undefined : this.#modifyOf(mtimeMs);
    let out = '';
    if (modify !== undefined && facts.has('modify')) out += `modify=${modify};`;
    if (perm !== undefined && facts.has('perm')) out += `perm=${perm};`;
    if (mode !== undefined && facts.has('unix.mode')) out += `unix.mode=${this.#modeOf(mode)};`;
    if (uid !== undefined && facts.has('unix.uid')) out += `unix.uid=${uid};`;
    if (gid !== undefined && facts.has('unix.gid')) out += `unix.gid=${gid};`;
    if (ownerName !== undefined && facts.has('unix.ownername')) out += `unix.ownername=${ownerName};`;
    if (groupName !== undefined && facts.has('unix.groupname')) out += `unix.groupname=${groupName};`;
    return out;
  }

  #modifyOf(mtimeMs: number): string {
    // A time-val shows whole seconds only.
    const second = Math.floor(mtimeMs / 1000);
    let text = this.#modify.get(second);
    if (text === undefined) {
      text = formatTimeVal(new Date(mtimeMs));
      if (this.#modify.size >= FORMATTER_CACHE_LIMIT) this.#modify.clear();
      this.#modify.set(second, text);
    }
    return text;
  }

  #modeOf(mode: number): string {
    let text = this.#modes.get(mode);
    if (text === undefined) {
      text = '0' + (mode & 0o7777).toString(8).padStart(3, '0');
      if (this.#modes.size >= FORMATTER_CACHE_LIMIT) this.#modes.clear();
      this.#modes.set(mode, text);
    }
    return text;
  }
}

/**
 * The text after "MLST " in the FEAT reply: every fact miniftp knows, the
 * selected ones marked with '*' (RFC 3659 7.8): `type*;size*;modify*;...`.
 */
export function mlstFeature(selected: readonly MlsxFact[] = MLSX_FACTS): string {
  return MLSX_FACTS.map((fact) => `${fact}${selected.includes(fact) ? '*' : ''};`).join('');
}

/**
 * The facts an `OPTS MLST` argument selects (`type;size;`), in the standard
 * order. Fact names are case-insensitive and unknown ones are ignored, as
 * RFC 3659 7.9 asks; an empty argument selects none.
 */
export function parseMlstOptions(arg: string): MlsxFact[] {
  const wanted = new Set(arg.split(';').map((name) => name.trim().toLowerCase()));
  return MLSX_FACTS.filter((fact) => wanted.has(fact));
}
