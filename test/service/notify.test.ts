// notify and the watchdog: datagrams on a NOTIFY_SOCKET this test binds, at
// a path and at an abstract name, as a service manager would read them.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { notify, notifyReady, notifyReloading, notifyStatus, notifyStopping, startWatchdog, watchdogInterval } from '../../src/index.js';
import { bindNotifySocket } from '../helpers/notify-socket.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('notify-');
afterAll(() => dir.remove());

describe('notify', () => {
  it('does nothing and returns false without NOTIFY_SOCKET', () => {
    expect(notify('READY=1', { env: {} })).toBe(false);
    expect(notify('READY=1', { env: { NOTIFY_SOCKET: '' } })).toBe(false);
  });

  it('sends one datagram to a socket at a path', async () => {
    const socket = bindNotifySocket(dir.path);
    try {
      expect(notify('READY=1\nSTATUS=up', { env: { NOTIFY_SOCKET: socket.address } })).toBe(true);
      expect(await socket.next(5000)).toBe('READY=1\nSTATUS=up');
    } finally {
      socket.close();
    }
  });

  it('sends to an abstract name written with "@"', async () => {
    const name = `privsep-notify-${crypto.randomBytes(6).toString('hex')}`;
    const socket = bindNotifySocket(dir.path, name);
    try {
      expect(socket.address).toBe(`@${name}`);
      notify('WATCHDOG=1', { env: { NOTIFY_SOCKET: socket.address } });
      expect(await socket.next(5000)).toBe('WATCHDOG=1');
    } finally {
      socket.close();
    }
  });

  it('says READY with MAINPID, STOPPING, STATUS, and RELOADING with the monotonic clock', async () => {
    const socket = bindNotifySocket(dir.path);
    const env = { NOTIFY_SOCKET: socket.address };
    // CLOCK_MONOTONIC read by another program, before and after.
    const monotonic = (): bigint => BigInt(execFileSync('python3', ['-c', 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)']).toString().trim());
    try {
      notifyReady('serving', { env });
      expect(await socket.next(5000)).toBe(`READY=1\nMAINPID=${process.pid}\nSTATUS=serving`);
      notifyStopping(undefined, { env });
      expect(await socket.next(5000)).toBe('STOPPING=1');
      notifyStatus('draining 3 sessions', { env });
      expect(await socket.next(5000)).toBe('STATUS=draining 3 sessions');
      const before = monotonic();
      notifyReloading(undefined, { env });
      const after = monotonic();
      const [first, stamp] = (await socket.next(5000)).split('\n');
      expect(first).toBe('RELOADING=1');
      const usec = BigInt(/^MONOTONIC_USEC=(\d+)$/.exec(stamp!)![1]!);
      expect(usec >= before && usec <= after).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('refuses a STATUS of more than one line and an empty state', () => {
    const env = { NOTIFY_SOCKET: '/nonexistent' };
    expect(() => notifyReady('a\nREADY=0', { env })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/'status' must be one line/) }));
    expect(() => notify('', { env })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('refuses a NOTIFY_SOCKET that is neither a path nor an "@" name, naming it', () => {
    expect(() => notify('READY=1', { env: { NOTIFY_SOCKET: 'run/notify' } })).toThrow(expect.objectContaining({
      code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/process\.env\.NOTIFY_SOCKET' must be an absolute path or an abstract name/),
    }));
  });

  it('fails like Node when nobody listens there (connect ENOENT / ECONNREFUSED)', () => {
    expect(() => notify('READY=1', { env: { NOTIFY_SOCKET: `${dir.path}/absent` } })).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'connect' }));
    expect(() => notify('READY=1', { env: { NOTIFY_SOCKET: `@privsep-nobody-${crypto.randomBytes(6).toString('hex')}` } }))
      .toThrow(expect.objectContaining({ code: 'ECONNREFUSED', syscall: 'connect' }));
  });
});

describe('the watchdog', () => {
  it('pings at half of WATCHDOG_USEC, only for the process WATCHDOG_PID names', () => {
    expect(watchdogInterval({ env: {} })).toBeNull();
    expect(watchdogInterval({ env: { WATCHDOG_USEC: '10000000' } })).toBe(5000);
    expect(watchdogInterval({ env: { WATCHDOG_USEC: '10000000', WATCHDOG_PID: String(process.pid) } })).toBe(5000);
    expect(watchdogInterval({ env: { WATCHDOG_USEC: '10000000', WATCHDOG_PID: '1' } })).toBeNull();
  });

  it('refuses a WATCHDOG_USEC that is not a positive number, naming it', () => {
    for (const bad of ['0', '10s', '-5']) {
      expect(() => watchdogInterval({ env: { WATCHDOG_USEC: bad } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/process\.env\.WATCHDOG_USEC/) }));
    }
  });

  it('sends WATCHDOG=1 at once and then on its timer until stopped', async () => {
    const socket = bindNotifySocket(dir.path);
    const watchdog = startWatchdog(undefined, { env: { NOTIFY_SOCKET: socket.address, WATCHDOG_USEC: '200000' } });
    try {
      expect(watchdog!.intervalMs).toBe(100);
      for (let i = 0; i < 3; i++) expect(await socket.next(10_000)).toBe('WATCHDOG=1');
    } finally {
      watchdog?.stop();
      socket.close();
    }
    expect(startWatchdog(undefined, { env: {} })).toBeNull();
  });
});
