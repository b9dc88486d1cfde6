// FileWriter: a Writable that puts a download into a file descriptor at
// increasing offsets and reports how much is in the file after each write:
// downloadToFile's way when the data connection is a net.Socket (active
// mode). Unprivileged client code.
import fs from 'node:fs';
import { Writable } from 'node:stream';

export class FileWriter extends Writable {
  readonly #fd: number;
  #position: number;
  #written = 0;
  readonly #onWritten: (bytes: number) => void;

  /** @param onWritten the bytes in the file so far, after each write */
  constructor(fd: number, start: number, onWritten: (bytes: number) => void) {
    super({ highWaterMark: 1024 * 1024 });
    this.#fd = fd;
    this.#position = start;
    this.#onWritten = onWritten;
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    fs.writev(this.#fd, chunks.map((c) => c.chunk), this.#position, (err, written) => {
      if (err) return callback(err);
      this.#position += written;
      this.#written += written;
      this.#onWritten(this.#written);
      callback();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }
}
