// Text files shown to clients as reply lines (banner_file, and
// dirmessage_enable's message_file): at most 4000 bytes, as vsftpd reads
// them, cut into lines with control characters other than tab removed.
import fs from 'node:fs';

/** Most bytes of a message file shown (vsftpd's VSFTP_MAX_MSGFILE_SIZE). */
export const MAX_MESSAGE_BYTES = 4000;

/** The lines of a message file's first {@link MAX_MESSAGE_BYTES} bytes. */
export function messageLines(bytes: Buffer): string[] {
  const lines = bytes.subarray(0, MAX_MESSAGE_BYTES).toString('utf8').split(/\r?\n/)
    .map((line) => line.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''));
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The first {@link MAX_MESSAGE_BYTES} bytes of a regular file (a FIFO or a
 * device is refused without blocking).
 * @throws the open and read errors; EINVAL for a file that is not a regular one
 */
export async function readMessageFile(file: string): Promise<Buffer> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EINVAL' });
    const buffer = Buffer.alloc(MAX_MESSAGE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_MESSAGE_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Synchronous {@link readMessageFile}, for start-up. */
export function readMessageFileSync(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EINVAL' });
    const buffer = Buffer.alloc(MAX_MESSAGE_BYTES);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, MAX_MESSAGE_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}
