// One transfer as a line of the wu-ftpd xferlog (man 5 xferlog), the format
// log analysers read: fourteen space-separated fields after the time stamp.
import { escapeText } from './log-escape.js';
import { ctimeStamp } from './log-time.js';
import type { SessionLogEvent } from './session/index.js';

type TransferEvent = Extract<SessionLogEvent, { type: 'transfer' }>;

/** How the session logged in: a (anonymous) or r (a real or virtual user). */
export type AccessMode = 'a' | 'r';

// A field is one word: spaces become _, as vsftpd does with file names, and
// every control or line break is escaped.
function word(value: string): string {
  const text = escapeText(value).replace(/\s/g, '_');
  return text === '' ? '_' : text;
}

/**
 * `current-time transfer-time remote-host file-size filename transfer-type
 * special-action-flag direction access-mode username service-name
 * authentication-method authenticated-user-id completion-status`; the
 * transfer time in whole seconds, rounded up, at least 1.
 */
export function xferlogLine(event: TransferEvent, access: AccessMode, localTime: boolean): string {
  return [
    ctimeStamp(event.time, localTime),
    Math.max(1, Math.ceil(event.seconds)),
    word(event.client),
    event.bytes,
    word(event.path),
    event.mode === 'ascii' ? 'a' : 'b',
    '_',
    event.direction === 'upload' ? 'i' : 'o',
    access,
    word(event.user ?? '*'),
    'ftp',
    0,
    '*',
    event.result === 'ok' ? 'c' : 'i',
  ].join(' ');
}
