// The miniftp session engine: what a worker process needs to run FTP
// sessions. The process side (master, helper, workers) builds a SessionHost
// and hands each control connection to an FtpSession.
export { FtpSession } from './ftp-session.js';
export { DEFAULT_ENGINE_OPTIONS, engineOptions, type EngineOptions, type IdNameLookup } from './engine-options.js';
export type { ConnectionInfo, DataConnector, LoginAnswer, SessionHost, SessionLogEvent, SessionLogBase } from './session-host.js';
export { newSessionState, parseSessionState, type SessionState } from './session-state.js';
export type { SessionPhase } from './session-context.js';
export { COMMANDS, lookupCommand, type CommandSpec } from './command-table.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { LocalDataConnector, type LocalDataPolicy } from './local-data-connector.js';
