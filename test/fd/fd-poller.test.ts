// FdPoller and waitForFd: readiness of raw fds from the event loop, on real
// sockets; POLLERR surfaces as readiness so the I/O call reports the error.
import { describe, expect, it } from 'vitest';
import { FdPoller, readNonBlocking, socketPair, waitForFd, writeNonBlocking } from '../../src/index.js';

describe('FdPoller / waitForFd', () => {
  it('report readability level-triggered until the data is read', async () => {
    const [a, b] = socketPair('stream');
    const seen: boolean[] = [];
    let drained!: () => void;
    const done = new Promise<void>((resolve) => (drained = resolve));
    const poller = new FdPoller(b, (err, ready) => {
      expect(err).toBeNull();
      seen.push(ready.readable);
      // Read one byte per report: the watch fires again while bytes remain.
      const n = readNonBlocking(b, Buffer.alloc(1));
      if (n === null || seen.length >= 3) drained();
    });
    try {
      poller.start('readable');
      writeNonBlocking(a, Buffer.from('xyz'));
      await done;
      expect(seen).toEqual([true, true, true]);
    } finally {
      poller.close();
      poller.close();
      a.close();
      b.close();
    }
    expect(poller.closed).toBe(true);
    expect(() => poller.start()).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('report writability, stop, and restart', async () => {
    const [a, b] = socketPair('stream');
    let reports = 0;
    const poller = new FdPoller(a, (_err, ready) => {
      reports++;
      expect(ready.writable).toBe(true);
      poller.stop();
    });
    try {
      poller.start('writable');
      await waitForFd(b, 'writable', { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 20));
      expect(reports).toBe(1);
      poller.start('both');
      await new Promise((r) => setTimeout(r, 20));
      expect(reports).toBe(2);
    } finally {
      poller.close();
      a.close();
      b.close();
    }
  });

  it('waitForFd resolves on readiness, times out, and aborts', async () => {
    const [a, b] = socketPair('stream');
    try {
      await expect(waitForFd(b, 'readable', { timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      const controller = new AbortController();
      const waiting = waitForFd(b, 'readable', { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      const readable = waitForFd(b.fd, 'readable', { timeoutMs: 5000 });
      writeNonBlocking(a, Buffer.from('!'));
      await expect(readable).resolves.toEqual({ readable: true, writable: false });
      expect(() => new FdPoller(b, null as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      const poller = new FdPoller(b, () => {});
      expect(() => poller.start('sideways' as 'readable')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      poller.close();
    } finally {
      a.close();
      b.close();
    }
  });

  it('report a peer reset (POLLERR) as readiness, so the read returns the real error', async () => {
    const [a, b] = socketPair('stream');
    try {
      // Unread data at close makes the peer see ECONNRESET.
      writeNonBlocking(b, Buffer.from('unread'));
      a.close();
      const result = await new Promise<unknown>((resolve) => {
        const poller = new FdPoller(b, (err) => {
          poller.close();
          if (err) return resolve(err);
          try {
            resolve(readNonBlocking(b, Buffer.alloc(8)));
          } catch (error) {
            resolve(error);
          }
        });
        poller.start('readable');
      });
      expect([0, 'ECONNRESET']).toContain(typeof result === 'number' ? result : (result as { code: string }).code);
    } finally {
      a.close();
      b.close();
    }
  });
});
