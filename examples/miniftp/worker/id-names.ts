// text_userdb_names: the user and group names listings show, read from
// /etc/passwd and /etc/group when the worker starts (as root, before it is
// chrooted, where these files are out of reach). Names added later show
// as numbers until a new worker starts; entries that only a network
// service (NSS) knows show as numbers.
import fs from 'node:fs';
import type { IdNameLookup } from '../session/index.js';

// name:password:id:... -> id -> name; the first line of an id wins, as getpwuid(3) answers.
function namesById(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    if (!names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The names of /etc/passwd and /etc/group as they are now; an unreadable file gives numbers only. */
export function readIdNames(passwd = '/etc/passwd', group = '/etc/group'): IdNameLookup {
  const users = namesById(readOrEmpty(passwd));
  const groups = namesById(readOrEmpty(group));
  return { user: (uid) => users.get(uid), group: (gid) => groups.get(gid) };
}
