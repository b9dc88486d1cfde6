// What a spare worker waits for, as root, with nothing else open but its
// channels to the master: the identity the master writes once on its fd 5
// (JSON, a WorkerIdentity) before it closes its end. Checked here as well:
// a spare never takes root's ids.
import { FdHandle, refusal } from 'privsep';
import type { WorkerIdentity } from '../protocols.js';
import { rootIdsReason } from '../root-ids.js';

// Far more than any identity (NGROUPS_MAX groups included).
const MAX_BYTES = 1 << 20;

/** The identity, or null when the master closed fd `fd` without one (it ended). */
export function readAssignment(fd: number): Promise<WorkerIdentity | null> {
  return new Promise((resolve, reject) => {
    const socket = new FdHandle(fd).toSocket({ writable: false });
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BYTES) {
        socket.destroy();
        reject(refusal('E2BIG', `the identity on fd ${fd} is longer than ${MAX_BYTES} bytes`));
      }
      chunks.push(chunk);
    });
    socket.once('end', () => {
      socket.destroy();
      try {
        resolve(size === 0 ? null : parseIdentity(Buffer.concat(chunks).toString()));
      } catch (err) {
        reject(err);
      }
    });
    socket.once('error', reject);
  });
}

function parseIdentity(json: string): WorkerIdentity {
  const value = JSON.parse(json) as Partial<WorkerIdentity>;
  const id = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof value.user !== 'string' || !id(value.uid) || !id(value.gid) || !Array.isArray(value.groups) || !value.groups.every(id)
    || !(value.chroot === null || typeof value.chroot === 'string') || typeof value.home !== 'string' || typeof value.anonymous !== 'boolean') {
    throw refusal('EINVAL', 'malformed identity on the spare\'s assignment fd');
  }
  const rootIds = rootIdsReason(value as WorkerIdentity);
  if (rootIds !== null) throw refusal('EPERM', `a spare worker refuses ${JSON.stringify(value.user)}: ${rootIds}`);
  return value as WorkerIdentity;
}
