// FileWriter: a Writable that puts a download into a file at increasing
// offsets and reports how much is in the file after each write:
// downloadToFile's way when the data connection is a net.Socket (active
// mode). It owns the descriptor it is given and closes it once destroyed
// and no write is in flight, so no write can land in a file that took the
// number over. Unprivileged client code.
import fs from 'node:fs';
import { Writable } from 'node:stream';
import type { FdHandle } from 'privsep';

export class FileWriter extends Writable {
  readonly #file: FdHandle;
  #position: number;
  #written = 0;
  readonly #onWritten: (bytes: number) => void;
  /** The write in flight, if any: the descriptor closes after it. */
  #inFlight: Promise<void> | null = null;

  /** @param onWritten the bytes in the file so far, after each write */
  constructor(file: FdHandle, start: number, onWritten: (bytes: number) => void) {
    super({ highWaterMark: 1024 * 1024 });
    this.#file = file;
    this.#position = start;
    this.#onWritten = onWritten;
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#inFlight = new Promise((resolve) => {
      fs.writev(this.#file.fd, chunks.map((c) => c.chunk), this.#position, (err, written) => {
        this.#inFlight = null;
        resolve();
        if (err) return callback(err);
        this.#position += written;
        this.#written += written;
        this.#onWritten(this.#written);
        callback();
      });
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void (this.#inFlight ?? Promise.resolve()).then(() => {
      this.#file.close();
      callback(error);
    });
  }
}
