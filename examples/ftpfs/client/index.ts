// The FTP client of ftpfs: its public API. Layers, bottom up: transport (the
// control connection), data connection strategies, transfers, the client's
// commands, and a pool of clients. Unprivileged client code.
export { FtpClient, type FtpClientOptions, type DownloadOptions, type UploadOptions, type TransferProgress, type TransferType } from './client.js';
export { type ListSupport } from './list-all.js';
export { FtpClientPool, type FtpClientPoolOptions, type PoolUse } from './pool.js';
export { FtpTransport, type TransportOptions, type RequestOptions } from './transport.js';
export { openDataConnection, type DataMode, type DataConnection, type DataCommandSupport, type OpenDataOptions } from './data-connection.js';
export { receive, send, TextCollector, type TransferCommand } from './transfer.js';
export { type FtpTlsOptions, type SecureMode } from './tls.js';
export { FtpClosedError, FtpTimeoutError } from './errors.js';
export { FtpError, FtpProtocolError, type FileInfo, type Reply } from '../../ftp/index.js';
