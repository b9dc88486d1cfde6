// HandoffMaster.reload(changes): new workers with a new count, command or
// policy; a listener whose address did not change stays the same socket
// (a connection waiting in its backlog is served), one whose address changed
// is bound anew and the old one closed; a port that cannot be bound changes
// nothing.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isRefused, readUntilClose } from '../helpers/connect.js';
import { HandoffMaster } from '../../src/index.js';
import { fixture, waitFor } from '../helpers/process.js';

const masters: HandoffMaster[] = [];
afterEach(async () => {
  await Promise.all(masters.splice(0).map((m) => m.shutdown()));
});



const live = (master: HandoffMaster): number[] => master.workers().filter((w) => !w.draining).map((w) => w.pid);

async function start(): Promise<HandoffMaster> {
  const master = new HandoffMaster({
    listen: [{ host: '127.0.0.1', port: 0, name: 'one' }, { host: '127.0.0.1', port: 0, name: 'two' }],
    worker: { args: [fixture('handoff-worker.mjs')] },
    workers: 2,
    drainTimeoutMs: 5_000,
  });
  masters.push(master);
  await master.ready();
  return master;
}

describe('HandoffMaster.reload(changes)', () => {
  it('starts the new count of workers with the new command; unchanged listeners stay the same sockets', async () => {
    const master = await start();
    const [one, two] = master.acceptor.sockets.map((s) => s.port);
    const before = live(master);
    const greeted: number[] = [];
    master.on('worker-output', (pid, line) => {
      if (line === `stdout of ${pid}`) greeted.push(pid);
    });
    // Connected while the reload runs: it waits in the kept listener's backlog and is served.
    const reloaded = master.reload({
      workers: 3, worker: { args: [fixture('handoff-worker.mjs'), 'greet'] }, policy: 'least-connections',
      listen: [{ host: '127.0.0.1', port: 0, name: 'one' }, { host: '127.0.0.1', port: 0, name: 'two' }],
    });
    const during = readUntilClose(one!);
    await reloaded;
    expect(await during).toMatch(/listener=one/);
    expect(master.acceptor.sockets.map((s) => s.port)).toEqual([one, two]);
    const after = live(master);
    expect(after).toHaveLength(3);
    for (const pid of before) expect(after).not.toContain(pid);
    // The new workers run the new command.
    await waitFor(() => after.every((pid) => greeted.includes(pid)), 10_000, 'each new worker\'s output');
    expect(await readUntilClose(two!)).toMatch(/listener=two/);
  });

  it('binds a listener whose port changed and closes the old one; the other stays', async () => {
    const master = await start();
    const [one, two] = master.acceptor.sockets.map((s) => s.port);
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await master.reload({ listen: [{ host: '127.0.0.1', port: 0, name: 'one' }, { host: '127.0.0.1', port: free, name: 'two' }] });
    expect(master.acceptor.sockets.map((s) => s.port)).toEqual([one, free]);
    expect(await readUntilClose(free)).toMatch(/listener=two/);
    expect(await readUntilClose(one!)).toMatch(/listener=one/);
    expect(await isRefused(two!)).toBe(true);
  });

  it('a port that cannot be bound rejects and changes nothing', async () => {
    const master = await start();
    const ports = master.acceptor.sockets.map((s) => s.port);
    const workers = live(master);
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      await expect(master.reload({ workers: 4, listen: [{ host: '127.0.0.1', port: 0, name: 'one' }, { host: '127.0.0.1', port, name: 'two' }] }))
        .rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    expect(master.acceptor.sockets.map((s) => s.port)).toEqual(ports);
    expect(live(master)).toEqual(workers);
    for (const port of ports) expect(await readUntilClose(port)).toMatch(/pid=\d+/);
  });
});
