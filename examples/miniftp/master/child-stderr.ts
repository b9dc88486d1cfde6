// A child's stderr: one end of a socketpair, never the master's own stderr
// (which may be a terminal). The master copies what arrives to its stderr,
// line by line, escaped and labelled with the child, up to a bound per child:
// enough for a crash report, too little for a flood.
import { socketPair, type FdHandle } from 'privsep';
import { escapeText } from '../log-escape.js';

const MAX_BYTES_PER_CHILD = 64 * 1024;
const MAX_LINE_CHARS = 2000;

export class ChildStderr {
  /** The end to give the child as its fd 2; close it once the child has started. */
  readonly childEnd: FdHandle;
  readonly #mine: FdHandle;
  #ended: Promise<void> = Promise.resolve();

  constructor() {
    [this.#mine, this.childEnd] = socketPair();
  }

  /** Resolves once everything the child wrote has been copied (or forward() was never called). */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** Starts copying, each line prefixed with `label`; ends at the child's end. */
  forward(label: string): void {
    const socket = this.#mine.toSocket({ writable: false });
    this.#ended = new Promise((resolve) => socket.once('close', () => resolve()));
    let copied = 0;
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      // Past the bound, it still reads (so the child never blocks) but drops.
      if (copied >= MAX_BYTES_PER_CHILD) return;
      copied += Buffer.byteLength(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!.slice(0, MAX_LINE_CHARS);
      for (const line of lines) process.stderr.write(`miniftp: ${label}: ${escapeText(line.slice(0, MAX_LINE_CHARS))}\n`);
      if (copied >= MAX_BYTES_PER_CHILD) {
        if (partial) process.stderr.write(`miniftp: ${label}: ${escapeText(partial)}\n`);
        process.stderr.write(`miniftp: ${label}: more output dropped\n`);
      }
    });
    socket.on('end', () => {
      if (partial && copied < MAX_BYTES_PER_CHILD) process.stderr.write(`miniftp: ${label}: ${escapeText(partial)}\n`);
    });
    socket.on('error', () => {});
  }

  /** Closes both ends (the child could not be started). */
  close(): void {
    this.childEnd.close();
    this.#mine.close();
  }
}
