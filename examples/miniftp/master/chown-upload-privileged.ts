// chown_uploads in the master: gives an anonymous upload, passed by its
// worker as an open fd, to chown_username. Privileged side: the fd comes
// from a worker that may be hostile, so only a regular file that its
// anonymous user owns is touched, and only through the fd (no path, no race).
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { FdHandle } from 'privsep';
import { refusal } from 'privsep';

const fchown = promisify(fs.fchown);
const fchmod = promisify(fs.fchmod);

/** Who anonymous uploads go to: chown_username's uid (never 0) and chown_upload_mode. */
export interface UploadOwner {
  uid: number;
  mode: number;
}

/**
 * Makes `file` owner's, with owner's mode; the group stays (as vsftpd).
 * A file that is the owner's already is left as it is.
 * @throws EINVAL for anything but a regular file; EPERM for a file the uploader does not own
 */
export async function giveUpload(file: FdHandle, uploaderUid: number, owner: UploadOwner): Promise<void> {
  const stats = file.stat();
  if (!stats.isFile()) throw refusal('EINVAL', 'chown_uploads: not a regular file');
  if (stats.uid === owner.uid) return;
  if (stats.uid !== uploaderUid) throw refusal('EPERM', `chown_uploads: the file belongs to uid ${stats.uid}, not to the anonymous user`);
  // chown first: it clears set-id bits, and afterwards the uploader cannot change the mode back.
  await fchown(file.fd, owner.uid, -1);
  await fchmod(file.fd, owner.mode);
}
