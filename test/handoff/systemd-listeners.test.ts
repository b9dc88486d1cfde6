// handoffd's choice among the sockets systemd passed: by name, else by order;
// anything else is refused with what was passed, and every socket closed.
import { describe, expect, it } from 'vitest';
import { socketPair, type FdHandle, type SystemdListener } from '../../src/index.js';
import { plainAndTls } from '../../examples/handoff/systemd-listeners.js';

function passed(...names: string[]): SystemdListener[] {
  return names.map((name) => {
    const [mine, other] = socketPair();
    other.close();
    return { name, handle: mine };
  });
}

describe('handoffd: which passed socket is which', () => {
  it('matches http and https by name, whatever their order', () => {
    const sockets = passed('https', 'http');
    const [plain, tls] = plainAndTls(sockets);
    expect(plain).toEqual({ name: 'plain', handle: sockets[1]!.handle });
    expect(tls).toEqual({ name: 'tls', handle: sockets[0]!.handle });
    for (const s of sockets) s.handle.close();
  });

  it('takes two sockets with other names in order: plain, then TLS', () => {
    const sockets = passed('handoffd.socket', 'handoffd.socket');
    const [plain, tls] = plainAndTls(sockets);
    expect([plain.handle, tls.handle]).toEqual(sockets.map((s) => s.handle));
    for (const s of sockets) s.handle.close();
  });

  const refused: Array<[string, string[], RegExp]> = [
    ['one socket', ['http'], /systemd passed 1 socket \(http\); handoffd needs two/],
    ['three sockets', ['http', 'https', 'admin'], /systemd passed 3 sockets \(http, https, admin\)/],
    ['one known name beside an unknown one', ['http', 'admin'], /systemd passed 2 sockets \(http, admin\)/],
    ['two plain sockets', ['http', 'plain'], /systemd passed 2 sockets \(http, plain\)/],
  ];
  for (const [what, names, message] of refused) {
    it(`refuses ${what} and closes them all`, () => {
      const sockets = passed(...names);
      expect(() => plainAndTls(sockets)).toThrow(message);
      expect(sockets.every((s) => (s.handle as FdHandle).closed)).toBe(true);
    });
  }
});
