// The last guard against a root session: WorkerProcess refuses an identity
// with uid 0 or primary group 0 before it makes a socket or a process.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../examples/miniftp/config.js';
import { WorkerProcess, type MonitorHandlers } from '../../examples/miniftp/master/worker-process.js';
import type { WorkerIdentity } from '../../examples/miniftp/protocols.js';
import { openFdCount } from '../helpers/process.js';

const handlers = {} as MonitorHandlers;

function identity(ids: Partial<WorkerIdentity>): WorkerIdentity {
  return { user: 'toor', uid: 1000, gid: 1000, groups: [1000], chroot: '/srv/ftp', home: '/', anonymous: false, ...ids };
}

describe('WorkerProcess', () => {
  it('refuses to start a worker as uid 0 or with primary group 0, whatever the name', () => {
    const fds = openFdCount();
    const cases: Array<[Partial<WorkerIdentity>, string]> = [
      [{ uid: 0 }, 'uid 0'],
      [{ gid: 0, groups: [0] }, 'primary group 0'],
      [{ uid: 0, gid: 0, user: 'ftp', anonymous: true }, 'uid 0'],
    ];
    for (const [ids, why] of cases) {
      for (const kind of ['user', 'prelogin'] as const) {
        expect(() => new WorkerProcess({ kind, config: defaultConfig(), identity: identity(ids), isolateNetwork: false }, handlers))
          .toThrow(expect.objectContaining({ code: 'EPERM', message: expect.stringContaining(why) }));
      }
    }
    expect(openFdCount()).toBe(fds);
  });
});
