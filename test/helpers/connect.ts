// One TCP connection to 127.0.0.1 for a test: whether anything listens on a
// port, and everything a server sends before it closes.
import net from 'node:net';

/** 'connected' when something accepted on `port`, or the error's code (ECONNREFUSED when nothing listens). */
export function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Whether a connection to `port` is refused (no listener there). */
export async function isRefused(port: number): Promise<boolean> {
  return (await connectOutcome(port)) === 'ECONNREFUSED';
}

/** Connects to `port` and reads everything until the server closes. */
export function readUntilClose(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}
