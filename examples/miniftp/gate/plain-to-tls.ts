// The worker's bytes toward the client (downloads, listings, replies), the
// gate's busiest path: the plaintext end is read into one buffer the whole
// gate shares, in reads as large as the socketpair holds, and each read goes
// straight into the TLS socket, whose write encrypts it before it returns
// (node:tls copies what it cannot encrypt yet). A stream pipe reads 64 KiB
// at a time into a new buffer: four times the trips through the event loop
// per byte. Reading pauses while the TLS socket has writes pending
// (back-pressure); only a read that arrives while some are pending is
// copied, since the shared buffer is reused. Runs in the gate.
import net from 'node:net';
import type tls from 'node:tls';
import type { FdHandle } from 'privsep';

// More than the socketpair holds (the worker's SO_SNDBUF, about 200 KiB by
// default), so that a read takes all there is. A larger SO_SNDBUF (1 or 4
// MiB) made downloads on a busy machine slower, not faster.
const READ_BUFFER_BYTES = 1 << 20;
// Each read fills its start and is consumed (encrypted or copied) before the next.
const shared = Buffer.allocUnsafe(READ_BUFFER_BYTES);

/**
 * Makes `plain` (the gate's end of the socketpair) a socket whose bytes go to
 * the TLS socket `target()` answers, ending it when the worker ends its side.
 * `target` is asked at the first read (the TLS socket is made after this one).
 */
export function plainToTls(plain: FdHandle, target: () => tls.TLSSocket): net.Socket {
  // net.Socket takes onread as net.connect does (its types only list it for net.connect).
  const options: net.SocketConstructorOpts & { onread: net.OnReadOpts } = {
    fd: plain.release(),
    allowHalfOpen: true,
    onread: {
      buffer: shared,
      callback: (size: number, buffer: Uint8Array): boolean => {
        const out = target();
        if (out.destroyed) return false;
        const chunk = (buffer as Buffer).subarray(0, size);
        // Pending writes keep a reference to their chunk: this one must outlive the next read.
        const written = out.write(out.writableLength > 0 || out.connecting ? Buffer.from(chunk) : chunk);
        if (written) return true;
        out.once('drain', () => socket.resume());
        return false;
      },
    },
  };
  const socket = new net.Socket(options);
  socket.once('end', () => target().end());
  return socket;
}
