// The two guards of a spare worker against root's ids: the master's
// SpareWorker refuses to assign them (and the spare stays unassigned), and
// the worker itself refuses them on its fd 5 and exits without dropping.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { socketPair } from 'privsep';
import { defaultConfig } from '../../examples/miniftp/config.js';
import { SpareWorker } from '../../examples/miniftp/master/spare-worker.js';
import type { MonitorHandlers } from '../../examples/miniftp/master/worker-process.js';
import type { SpareSpec, WorkerIdentity } from '../../examples/miniftp/protocols.js';
import { isAlive, startNode } from '../helpers/process.js';

const workerScript = path.resolve(import.meta.dirname, '..', '..', 'dist', 'examples', 'miniftp', 'worker', 'worker-main.js');
const spare: SpareSpec = { kind: 'spare', config: defaultConfig(), isolateNetwork: false };
const root: WorkerIdentity = { user: 'toor', uid: 0, gid: 1000, groups: [1000], chroot: null, home: '/', anonymous: false };

describe('spare workers', () => {
  it('the master does not give a spare an identity of root; the spare waits on', async () => {
    const worker = new SpareWorker(spare, workerScript);
    try {
      expect(() => worker.assign({ kind: 'user', config: spare.config, identity: root, isolateNetwork: false }, {} as MonitorHandlers))
        .toThrow(expect.objectContaining({ code: 'EPERM', message: expect.stringContaining('uid 0') }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(isAlive(worker.pid)).toBe(true);
    } finally {
      worker.stop();
      await worker.exited;
    }
  });

  it('a spare given an identity of root or a malformed one on fd 5 says so and exits with status 2', async () => {
    for (const [identity, why] of [[JSON.stringify(root), 'uid 0'], ['{"user":"x","uid":"1000"}', 'malformed identity']] as const) {
      const [monitorMine, monitorTheirs] = socketPair();
      const [controlMine, controlTheirs] = socketPair();
      const [assignMine, assignTheirs] = socketPair();
      const child = startNode(workerScript, [], [monitorTheirs.fd, controlTheirs.fd, assignTheirs.fd], { MINIFTP_WORKER: JSON.stringify(spare) });
      for (const fd of [monitorTheirs, controlTheirs, assignTheirs]) fd.close();
      const socket = assignMine.toSocket({ readable: false });
      socket.end(identity);
      const { code } = await child.exited;
      socket.destroy();
      monitorMine.close();
      controlMine.close();
      expect(code).toBe(2);
      expect(child.stderr()).toContain(why);
    }
  });
});
