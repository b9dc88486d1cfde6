// The user.ftpfs.upload attribute: what `getfattr` shows of a file that is
// not (yet) on the server as the mount shows it.
import type { CachedFile } from './cached-file.js';
import type { UploadFailure } from './upload-queue.js';

export const UPLOAD_ATTRIBUTE = 'user.ftpfs.upload';

/**
 * `uploading`, `failed: <reason>; next try in N s` or `pending`; null when
 * the file is on the server as the mount shows it.
 */
export function uploadState(file: CachedFile, failure: UploadFailure | undefined, now = Date.now()): string | null {
  if (file.unlinked) return null;
  if (file.uploading !== null) return 'uploading';
  if (!file.dirty && file.onServer) return null;
  if (failure) {
    const next = failure.nextAt === null ? 'at the next close' : `in ${Math.max(0, Math.ceil((failure.nextAt - now) / 1000))} s`;
    return `failed: ${failure.error}; next try ${next}`;
  }
  return 'pending';
}
