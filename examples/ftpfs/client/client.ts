// FtpClient: the FTP commands over one control connection, one operation at
// a time: login, directories, renames, sizes and times, listings (MLSD when
// offered, else LIST -a where honoured, else LIST), downloads and uploads as
// streams with resume, and a new login when the server ended an idle
// session. Unprivileged client code.
import { EventEmitter } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { invalidArgType, invalidArgValue, outOfRange, type FdHandle } from 'privsep';
import {
  formatTimeVal, FtpError, isFailure, parseEpsvReply, parseFeatures, parseList, parsePathnameReply, parseTimeVal, ReplyCode,
  type FileInfo, type Reply,
} from '../../ftp/index.js';
import { FtpClosedError } from './errors.js';
import { openDataConnection, openRawDataConnection, type DataCommandSupport, type DataConnection, type DataMode } from './data-connection.js';
import { FileWriter } from './file-writer.js';
import { listAll, type ListSupport } from './list-all.js';
import { pipelinedDownloadToFile } from './pipelined-download.js';
import { connectRaw, type RawDataSocket } from './raw-data.js';
import { TextCollector, receive, receiveToFile, send, sendFromFile } from './transfer.js';
import type { FtpTlsOptions, SecureMode } from './tls.js';
import { FtpTransport } from './transport.js';

/** How to reach and use the server. */
export interface FtpClientOptions {
  host: string;
  /** Default 21. */
  port?: number;
  /** Default 'anonymous'. */
  user?: string;
  /** Default '' ('anonymous@' for the anonymous user). */
  password?: string;
  /** Bound on connecting, on each reply, and on silence during a transfer, in ms. Default 30000. */
  timeoutMs?: number;
  /** Default 'passive'. */
  dataMode?: DataMode;
  /** Passive mode: use the address in 227 replies rather than the control connection's peer. Default false. */
  usePasvAddress?: boolean;
  /** List with MLSD when the server offers it (FEAT: MLST). Default true. */
  useMlsd?: boolean;
  /**
   * What is known of the server's LIST (whether `LIST -a` shows dot files),
   * learnt by the first listings: pass one object to every client of the
   * same server. Default: this client's own.
   */
  listSupport?: ListSupport;
  /** Largest listing accepted, in bytes. Default 64 MiB. */
  maxListingBytes?: number;
  /** Log in again (once) when the server ended the session while idle (421, or the connection closed). Default true. */
  reconnect?: boolean;
  /**
   * FTPS: 'explicit' (AUTH TLS after the greeting) or 'implicit' (TLS from
   * the first byte); either way PBSZ 0 and PROT P after login, and every data
   * connection resumes the control connection's TLS session. Default false.
   */
  secure?: false | SecureMode;
  /** FTPS: the certificates to trust (PEM). Default: the system's. */
  ca?: string | Buffer;
  /** FTPS: check the server's certificate and its name. Default true. */
  rejectUnauthorized?: boolean;
  /** FTPS: the name the server's certificate must carry (and SNI). Default: host. */
  servername?: string;
}

type TlsKeys = 'secure' | 'ca' | 'rejectUnauthorized' | 'servername';

/** Options of a download. */
export interface DownloadOptions {
  /** Resume: the first byte wanted (REST). Default 0. */
  startAt?: number;
  signal?: AbortSignal;
  /** Called after each chunk with the bytes received so far. */
  onProgress?: (bytes: number) => void;
}

/** Options of an upload. */
export interface UploadOptions {
  /** Resume: where the bytes go in the remote file (REST + STOR). Default 0. */
  startAt?: number;
  /** Append to the remote file (APPE) instead of replacing it. */
  append?: boolean;
  signal?: AbortSignal;
  /** Called after each chunk with the bytes sent so far. */
  onProgress?: (bytes: number) => void;
}

/** A 'progress' event. */
export interface TransferProgress {
  type: 'download' | 'upload' | 'list';
  path: string;
  bytes: number;
}

/** A transfer type: I (image, binary) or A (ASCII). */
export type TransferType = 'I' | 'A';

function expect(reply: Reply, ...codes: number[]): Reply {
  if (!codes.includes(reply.code)) throw new FtpError(reply.code, reply.text);
  return reply;
}

/** True when the server ended the session without acting on the last command. */
function sessionLost(err: unknown): boolean {
  return (err instanceof FtpError && err.code === ReplyCode.ServiceNotAvailable) || (err instanceof FtpClosedError && !err.replied);
}

/**
 * How long a data connection made ahead (prepareDownload) waits for its
 * download: the read it was made for comes within milliseconds of the open.
 */
const AHEAD_MS = 5000;

/** A passive data connection made ahead of a download, on one session. */
interface DataAhead {
  data: DataConnection<RawDataSocket>;
  transport: FtpTransport;
  timer: NodeJS.Timeout;
}

function checkOffset(name: string, value: number | undefined): number {
  const n = value ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw outOfRange(name, 'an integer >= 0', n);
  }
  return n;
}

/**
 * An FTP client on one control connection. Operations run one at a time in
 * the order they were called (FTP allows one transfer per connection); use
 * several clients for parallel work. Every wait is bounded by `timeoutMs`.
 * Events: 'progress' (TransferProgress), 'reconnect' (the session was lost
 * while idle and logged in again).
 */
export class FtpClient extends EventEmitter {
  readonly #options: Required<Omit<FtpClientOptions, 'password' | TlsKeys>> & { password: string };
  readonly #tls: FtpTlsOptions | undefined;
  readonly #support: DataCommandSupport = {};
  #transport: FtpTransport | null = null;
  #connecting: Promise<FtpTransport> | null = null;
  #features = new Map<string, string>();
  #type: TransferType = 'I';
  #cwd: string | null = null;
  #mlsdRefused = false;
  #closed = false;
  #connections = 0;
  #lock: Promise<unknown> = Promise.resolve();
  #ahead: DataAhead | null = null;
  #makingAhead = false;

  /**
   * @throws RangeError (ERR_OUT_OF_RANGE) for a bad port or timeout;
   *   TypeError for a missing host (ERR_INVALID_ARG_TYPE), an unknown
   *   `secure` (ERR_INVALID_ARG_VALUE)
   */
  constructor(options: FtpClientOptions) {
    super();
    if (typeof options?.host !== 'string' || options.host === '') {
      throw invalidArgType('host', 'a non-empty string', options?.host);
    }
    const port = options.port ?? 21;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw outOfRange('port', 'an integer >= 1 and <= 65535', port);
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw outOfRange('timeoutMs', 'an integer >= 1', timeoutMs);
    }
    const user = options.user ?? 'anonymous';
    this.#options = {
      host: options.host, port, user, timeoutMs,
      password: options.password ?? (user === 'anonymous' ? 'anonymous@' : ''),
      dataMode: options.dataMode ?? 'passive',
      usePasvAddress: options.usePasvAddress ?? false,
      useMlsd: options.useMlsd ?? true,
      listSupport: options.listSupport ?? {},
      maxListingBytes: options.maxListingBytes ?? 64 * 1024 * 1024,
      reconnect: options.reconnect ?? true,
    };
    const secure = options.secure ?? false;
    if (secure !== false && secure !== 'explicit' && secure !== 'implicit') {
      throw invalidArgValue('secure', secure, "must be false, 'explicit' or 'implicit'");
    }
    this.#tls = secure === false ? undefined : { secure, ca: options.ca, rejectUnauthorized: options.rejectUnauthorized ?? true, servername: options.servername };
  }

  /** The features of the last FEAT reply: name in upper case -> parameters. */
  get features(): ReadonlyMap<string, string> {
    return this.#features;
  }

  /** True while a logged-in control connection is open. */
  get connected(): boolean {
    return this.#transport !== null && !this.#transport.closed;
  }

  /** Control connections made so far: one, unless the server ended a session. */
  get connections(): number {
    return this.#connections;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Connects and logs in (USER, PASS), then reads FEAT, turns UTF-8 on when
   * offered, and sets the transfer type. Other operations connect on their
   * own; this only makes a bad host or password fail early.
   * @throws FtpError (530: login incorrect; 421); FtpClosedError (its cause
   *   ECONNREFUSED, ...); FtpTimeoutError (ETIMEDOUT)
   */
  async connect(): Promise<void> {
    await this.#exclusive(() => this.#session());
  }

  /**
   * Sends QUIT (without waiting long) and closes the connection; later
   * operations fail with FtpClosedError.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#takeAhead(null);
    const transport = this.#transport;
    this.#transport = null;
    if (transport && !transport.closed) {
      await transport.request('QUIT', '', { timeoutMs: Math.min(1000, this.#options.timeoutMs) }).catch(() => {});
      transport.close();
    }
  }

  /**
   * Sends any command and returns its final reply.
   * @throws FtpError for a 4xx/5xx reply; as connect()
   */
  send(verb: string, arg = ''): Promise<Reply> {
    return this.#run(async (t) => {
      const reply = await t.request(verb, arg);
      if (isFailure(reply)) throw new FtpError(reply.code, reply.text);
      return reply;
    });
  }

  /** The current directory (PWD). @throws FtpError; as connect() */
  pwd(): Promise<string> {
    return this.#run(async (t) => parsePathnameReply(expect(await t.request('PWD'), ReplyCode.PathnameCreated).text));
  }

  /** Changes the current directory (CWD); kept across a new login. @throws FtpError (550); as connect() */
  cd(path: string): Promise<void> {
    return this.#run(async (t) => {
      expect(await t.request('CWD', path), ReplyCode.FileActionOk);
      this.#cwd = parsePathnameReply(expect(await t.request('PWD'), ReplyCode.PathnameCreated).text);
    });
  }

  /** Creates a directory (MKD); returns the path the server reports, or `path`. @throws FtpError (550); as connect() */
  mkdir(path: string): Promise<string> {
    return this.#run(async (t) => {
      const reply = expect(await t.request('MKD', path), ReplyCode.PathnameCreated, ReplyCode.FileActionOk);
      try {
        return parsePathnameReply(reply.text);
      } catch {
        return path;
      }
    });
  }

  /** Removes an empty directory (RMD). @throws FtpError (550); as connect() */
  rmdir(path: string): Promise<void> {
    return this.#run(async (t) => void expect(await t.request('RMD', path), ReplyCode.FileActionOk));
  }

  /** Deletes a file (DELE). @throws FtpError (550); as connect() */
  remove(path: string): Promise<void> {
    return this.#run(async (t) => void expect(await t.request('DELE', path), ReplyCode.FileActionOk));
  }

  /** Renames (RNFR, RNTO). @throws FtpError (550 from RNFR or RNTO, 553); as connect() */
  rename(from: string, to: string): Promise<void> {
    return this.#run(async (t) => {
      expect(await t.request('RNFR', from), ReplyCode.PendingFurtherInformation);
      expect(await t.request('RNTO', to), ReplyCode.FileActionOk);
    });
  }

  /** A file's size in bytes (SIZE, RFC 3659). @throws FtpError (550); as connect() */
  size(path: string): Promise<number> {
    return this.#run(async (t) => {
      const text = expect(await t.request('SIZE', path), ReplyCode.FileStatus).text.trim();
      if (!/^\d{1,16}$/.test(text)) throw new FtpError(ReplyCode.FileStatus, `not a size: ${text}`);
      return Number(text);
    });
  }

  /** A file's modification time (MDTM, RFC 3659). @throws FtpError (550); as connect() */
  lastModified(path: string): Promise<Date> {
    return this.#run(async (t) => {
      const text = expect(await t.request('MDTM', path), ReplyCode.FileStatus).text.trim();
      const date = parseTimeVal(text);
      if (!date) throw new FtpError(ReplyCode.FileStatus, `not a time-val: ${text}`);
      return date;
    });
  }

  /**
   * Sets a file's modification time (MFMT, draft-somers-ftp-mfxx; offered
   * in FEAT by servers that have it).
   * @throws FtpError (500/502 when the server lacks it, 550); as connect()
   */
  setLastModified(path: string, date: Date): Promise<void> {
    return this.#run(async (t) => void expect(await t.request('MFMT', `${formatTimeVal(date)} ${path}`), ReplyCode.FileStatus, ReplyCode.FileTimeChanged));
  }

  /** Changes permission bits (SITE CHMOD). @throws FtpError (500/502/550); as connect() */
  chmod(path: string, mode: number): Promise<void> {
    return this.#run(async (t) => void expect(await t.request('SITE', `CHMOD ${(mode & 0o7777).toString(8)} ${path}`), ReplyCode.Ok));
  }

  /** The server's status, or a path's (STAT): the reply's text. @throws FtpError; as connect() */
  status(path = ''): Promise<string> {
    return this.#run(async (t) => expect(await t.request('STAT', path), ReplyCode.SystemStatus, ReplyCode.DirectoryStatus, ReplyCode.FileStatus).text);
  }

  /** Sets the transfer type (TYPE I or A); kept across a new login. @throws FtpError; as connect() */
  type(type: TransferType): Promise<void> {
    return this.#run(async (t) => {
      expect(await t.request('TYPE', type), ReplyCode.Ok);
      this.#type = type;
    });
  }

  /**
   * Lists a directory: MLSD when the server offers it (exact sizes and UTC
   * times), else LIST parsed as Unix or DOS lines: `LIST -a` where the
   * server honours it (dot files; see list-all.ts), plain LIST where not.
   * @param path default: the current directory
   * @throws FtpError (550); FtpProtocolError (ERR_FTP_PROTOCOL) for a
   *   listing no parser knows or one over maxListingBytes; as connect()
   */
  list(path = ''): Promise<FileInfo[]> {
    return this.#run(async (t) => {
      if (this.#options.useMlsd && !this.#mlsdRefused && this.#features.has('MLST')) {
        try {
          return parseList(await this.#listText(t, 'MLSD', path));
        } catch (err) {
          if (!(err instanceof FtpError) || (err.code !== ReplyCode.SyntaxError && err.code !== ReplyCode.CommandNotImplemented)) throw err;
          this.#mlsdRefused = true;
        }
      }
      return listAll(this.#options.listSupport, path, (arg) => this.#listText(t, 'LIST', path, arg));
    });
  }

  /** The text of a listing of `path`; `arg` may put options before it. */
  async #listText(t: FtpTransport, verb: 'MLSD' | 'LIST', path: string, arg = path): Promise<string> {
    const collector = new TextCollector(this.#options.maxListingBytes);
    const data = await this.#openData(t);
    await receive(t, { verb, arg, data, onProgress: this.#progress('list', path) }, collector);
    return collector.text();
  }

  /**
   * Makes a passive data connection now (EPSV and connect) for a download
   * expected soon, so that it starts with REST and RETR alone: the server's
   * EPSV and our connect are then done while the caller still gets ready
   * (FUSE's OPEN before its READ). Only on a logged-in session, in plain
   * passive FTP with pipelined downloads known to work; anything but a
   * downloadToFile() closes it first, and it closes unused after 5 s. A
   * failure costs nothing but the guess.
   */
  prepareDownload(): void {
    const transport = this.#transport;
    if (this.#ahead || this.#makingAhead || !transport || transport.closed || this.#tls) return;
    if (this.#options.dataMode !== 'passive' || this.#support.epsv !== true || this.#support.pipelining === false) return;
    this.#makingAhead = true;
    void this.#exclusive(async () => {
      if (this.#transport !== transport || transport.closed || this.#closed) return;
      const reply = await transport.request('EPSV');
      if (reply.code !== ReplyCode.EnteringExtendedPassiveMode) return;
      const data = connectRaw(transport.remoteAddress, parseEpsvReply(reply.text), transport.timeoutMs);
      const timer = setTimeout(() => this.#takeAhead(null), AHEAD_MS).unref();
      this.#ahead = { data, transport, timer };
    }).catch(() => {}).finally(() => {
      this.#makingAhead = false;
    });
  }

  /** True while a data connection made ahead waits for a download (or is being made). */
  get downloadPrepared(): boolean {
    return this.#ahead !== null || this.#makingAhead;
  }

  /**
   * The data connection made ahead on `transport`, no longer this client's;
   * one made on another session (or any, for null) is closed.
   */
  #takeAhead(transport: FtpTransport | null): DataConnection<RawDataSocket> | null {
    const ahead = this.#ahead;
    if (!ahead) return null;
    this.#ahead = null;
    clearTimeout(ahead.timer);
    if (ahead.transport === transport && !transport.closed) return ahead.data;
    ahead.data.close();
    return null;
  }

  /**
   * Downloads a file into `destination` (RETR), which is ended when the
   * file is complete; with `startAt`, from that byte on (REST).
   * @returns the bytes received
   * @throws FtpError (550: no such file or no access; 426); the
   *   destination's errors; AbortError; as connect()
   */
  download(path: string, destination: Writable, options: DownloadOptions = {}): Promise<number> {
    const startAt = checkOffset('startAt', options.startAt);
    let moved = 0;
    const onProgress = this.#progress('download', path, (bytes) => {
      moved = bytes;
      options.onProgress?.(bytes);
    });
    return this.#run(async (t) => {
      const data = await this.#openData(t);
      await restartAt(t, data, startAt);
      return receive(t, { verb: 'RETR', arg: path, data, signal: options.signal, onProgress }, destination);
    }, () => moved === 0 && !destination.destroyed);
  }

  /**
   * Downloads a file into `file` (RETR), at `startAt` there as on the
   * server (REST). In passive plain FTP the bytes are spliced from the data
   * connection into the file without passing through JavaScript.
   * `onProgress` counts bytes that are in the file. The bytes go through a
   * duplicate of `file`, closed after its last write: `file` stays the
   * caller's, and closing it meanwhile sends no byte elsewhere.
   * @returns the bytes received
   * @throws as download(), with local write errors (ENOSPC)
   */
  downloadToFile(path: string, file: FdHandle, options: DownloadOptions = {}): Promise<number> {
    const startAt = checkOffset('startAt', options.startAt);
    const target = file.dup();
    // A TLS data connection is a stream of records: no splicing it into the file.
    if (this.#options.dataMode === 'active' || this.#tls) {
      const writer = new FileWriter(target, startAt, (bytes) => options.onProgress?.(bytes));
      // Settles once the writer has closed its descriptor.
      const closed = (): Promise<void> | void => (writer.closed ? undefined : new Promise((resolve) => writer.once('close', resolve).destroy()));
      return this.download(path, writer, { startAt, signal: options.signal }).finally(closed);
    }
    let moved = 0;
    const onProgress = this.#progress('download', path, (bytes) => {
      moved = bytes;
      options.onProgress?.(bytes);
    });
    return this.#run(async (t, ahead) => {
      if (this.#support.epsv === true && this.#support.pipelining !== false) {
        return pipelinedDownloadToFile(t, path, target, startAt, { signal: options.signal, onProgress, support: this.#support, ahead });
      }
      ahead?.close();
      const data = await openRawDataConnection(t, { mode: 'passive', support: this.#support, usePasvAddress: this.#options.usePasvAddress });
      await restartAt(t, data, startAt);
      return receiveToFile(t, { verb: 'RETR', arg: path, data, signal: options.signal, onProgress }, target, startAt);
    }, () => moved === 0, true).finally(() => target.close());
  }

  /**
   * Uploads the first `size` bytes of `file` to a file (STOR). In passive
   * plain FTP the kernel sends them from the file (sendfile); otherwise they
   * are read as a stream. They are read through a duplicate of `file`,
   * closed once the transfer ended: `file` stays the caller's. The remote
   * file is complete when this resolves.
   * @returns the bytes sent
   * @throws as upload()
   */
  uploadFromFile(file: FdHandle, size: number, path: string, options: Omit<UploadOptions, 'startAt' | 'append'> = {}): Promise<number> {
    const length = checkOffset('size', size);
    const source = file.dup();
    if (this.#options.dataMode === 'active' || this.#tls) {
      if (length === 0) source.close();
      // The stream owns the duplicate: settles once it closed it, read or not.
      const stream = length === 0 ? Readable.from([]) : source.createReadStream({ start: 0, end: length - 1, highWaterMark: 1024 * 1024 });
      const closed = (): Promise<void> => new Promise((resolve) => (stream.closed ? resolve() : stream.once('close', resolve).destroy()));
      return this.upload(stream, path, options).finally(closed);
    }
    let moved = 0;
    const onProgress = this.#progress('upload', path, (bytes) => {
      moved = bytes;
      options.onProgress?.(bytes);
    });
    return this.#run(async (t) => {
      const data = await openRawDataConnection(t, { mode: 'passive', support: this.#support, usePasvAddress: this.#options.usePasvAddress });
      return sendFromFile(t, { verb: 'STOR', arg: path, data, signal: options.signal, onProgress }, source, length);
    }, () => moved === 0).finally(() => source.close());
  }

  /**
   * Uploads `source` to a file (STOR; APPE with `append`; REST + STOR with
   * `startAt`). The remote file is complete when this resolves.
   * @returns the bytes sent
   * @throws FtpError (553: not allowed; 550; 452/552: no space); the
   *   source's errors; AbortError; as connect()
   */
  upload(source: Readable, path: string, options: UploadOptions = {}): Promise<number> {
    const startAt = checkOffset('startAt', options.startAt);
    let moved = 0;
    const onProgress = this.#progress('upload', path, (bytes) => {
      moved = bytes;
      options.onProgress?.(bytes);
    });
    return this.#run(async (t) => {
      const data = await this.#openData(t);
      await restartAt(t, data, startAt);
      const verb = options.append ? 'APPE' : 'STOR';
      return send(t, { verb, arg: path, data, signal: options.signal, onProgress }, source);
    }, () => moved === 0 && !source.destroyed);
  }

  #progress(type: TransferProgress['type'], path: string, also?: (bytes: number) => void): (bytes: number) => void {
    return (bytes) => {
      also?.(bytes);
      if (this.listenerCount('progress') > 0) this.emit('progress', { type, path, bytes } satisfies TransferProgress);
    };
  }

  #openData(t: FtpTransport) {
    return openDataConnection(t, { mode: this.#options.dataMode, support: this.#support, usePasvAddress: this.#options.usePasvAddress });
  }

  /** Runs operations one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(fn, fn);
    this.#lock = result.catch(() => {});
    return result;
  }

  /**
   * Runs an operation on a logged-in connection. When the server had ended
   * the session without acting on the operation (421, or the connection
   * closed before any reply), logs in again and runs it once more. A data
   * connection made ahead goes to an operation that `takesAhead`, and is
   * closed before any other: the server would not know which it was for.
   */
  #run<T>(op: (t: FtpTransport, ahead: DataConnection<RawDataSocket> | null) => Promise<T>, mayRetry: () => boolean = () => true, takesAhead = false): Promise<T> {
    return this.#exclusive(async () => {
      const transport = await this.#session();
      let ahead = this.#takeAhead(transport);
      if (!takesAhead) {
        ahead?.close();
        ahead = null;
      }
      try {
        return await op(transport, ahead);
      } catch (err) {
        if (this.#closed || !this.#options.reconnect || !sessionLost(err) || !mayRetry()) throw err;
        transport.close();
        const again = await this.#session();
        this.emit('reconnect');
        return op(again, null);
      }
    });
  }

  /** The logged-in control connection, made now if there is none. */
  #session(): Promise<FtpTransport> {
    if (this.#closed) return Promise.reject(new FtpClosedError('the client was closed'));
    if (this.#transport && !this.#transport.closed) return Promise.resolve(this.#transport);
    this.#connecting ??= this.#login().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #login(): Promise<FtpTransport> {
    const o = this.#options;
    const { transport } = await FtpTransport.connect({ host: o.host, port: o.port, timeoutMs: o.timeoutMs, tls: this.#tls });
    this.#connections++;
    try {
      let reply = await transport.request('USER', o.user);
      if (reply.code === ReplyCode.NeedPassword) reply = await transport.request('PASS', o.password);
      expect(reply, ReplyCode.LoggedIn, ReplyCode.Superfluous);
      if (this.#tls) {
        // RFC 4217: no buffer size over TLS, and every data connection private.
        expect(await transport.request('PBSZ', '0'), ReplyCode.Ok);
        expect(await transport.request('PROT', 'P'), ReplyCode.Ok);
      }
      this.#features = parseFeatures(await transport.request('FEAT'));
      // RFC 2640: names are UTF-8 once asked; servers that always use it may refuse the command.
      if (this.#features.has('UTF8')) await transport.request('OPTS', 'UTF8 ON');
      const facts = o.useMlsd ? mlstFactsWanted(this.#features.get('MLST')) : null;
      // A server that refuses keeps its facts: listings then show no modes.
      if (facts) await transport.request('OPTS', `MLST ${facts}`);
      expect(await transport.request('TYPE', this.#type), ReplyCode.Ok);
      if (this.#cwd !== null) expect(await transport.request('CWD', this.#cwd), ReplyCode.FileActionOk);
    } catch (err) {
      transport.close();
      throw err;
    }
    if (this.#closed) {
      transport.close();
      throw new FtpClosedError('the client was closed');
    }
    this.#transport = transport;
    return transport;
  }
}

/**
 * The OPTS MLST argument that adds the unix.mode fact to the facts MLSD
 * gives (RFC 3659 7.9; FEAT marks those with '*'), or null when the server
 * gives it already or has no such fact (pyftpdlib offers it unselected).
 */
function mlstFactsWanted(offered: string | undefined): string | null {
  if (offered === undefined) return null;
  const facts = offered.split(';').map((fact) => fact.trim()).filter((fact) => fact !== '');
  const mode = facts.find((fact) => fact.replace(/\*$/, '').toLowerCase() === 'unix.mode');
  if (mode === undefined || mode.endsWith('*')) return null;
  const selected = facts.filter((fact) => fact.endsWith('*')).map((fact) => fact.slice(0, -1));
  return [...selected, mode].map((fact) => `${fact};`).join('');
}

// REST before a transfer that starts at `startAt`; a refusal closes the data
// connection already opened for it.
async function restartAt(t: FtpTransport, data: { close(): void }, startAt: number): Promise<void> {
  if (startAt === 0) return;
  try {
    expect(await t.request('REST', String(startAt)), ReplyCode.PendingFurtherInformation);
  } catch (err) {
    data.close();
    throw err;
  }
}
