// A passive data connection's listener, on a port picked at random in the
// configured range (1024..65535 when unset), as vsftpd does; a few ports are
// tried. Not bind(0): the kernel's search for a free ephemeral port walks its
// bind buckets, and with thousands of finished data connections in TIME_WAIT
// each search took milliseconds of CPU (measured: 3000 small RETRs took the
// helper 0.8 s of CPU with random ports, 3.7-8.8 s with bind(0), depending on
// how many connections were in TIME_WAIT). A random port is also one a third
// party cannot guess.
import crypto from 'node:crypto';
import { refusal, TcpListener } from 'privsep';

const BIND_TRIES = 64;

/** Listens on `host` at a free port from `low || 1024` to `high || 65535`. @throws EADDRINUSE when none of the tries was free, or bind's own error */
export function passiveListener(host: string, low: number, high: number): TcpListener {
  const from = low || 1024;
  const to = high || 65535;
  let lastError: unknown = null;
  for (let i = 0; i < BIND_TRIES; i++) {
    try {
      return new TcpListener({ host, port: crypto.randomInt(from, to + 1), backlog: 1 });
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw lastError ?? refusal('EADDRINUSE', 'no free passive port');
}
