// A truncated control message (the receiver ran out of fds) is an error that
// closes the channel, and every fd that did arrive is closed (docs/design.md, rule 2).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Channel, socketPair } from '../../src/index.js';
import { fixture, startNode } from '../helpers/process.js';

describe('MSG_CTRUNC', () => {
  it('closes the channel with ERR_PRIVSEP_FDS_TRUNCATED and leaks none of the fds that arrived', async () => {
    const [mine, theirs] = socketPair();
    const child = startNode(fixture('ctrunc-receiver.mjs'), [], [theirs.fd]);
    theirs.close();
    const channel = Channel.fromFd(mine);
    expect((await channel.receive()).data.toString()).toBe('ready');
    const fds = Array.from({ length: 100 }, () => fs.openSync('/dev/null', 'r'));
    await channel.send('too many', fds, { closeAfterSend: true });
    const status = await child.exited;
    channel.close();
    expect(status.code).toBe(0);
    const report = JSON.parse(child.stdout());
    expect(report).toMatchObject({ code: 'ERR_PRIVSEP_FDS_TRUNCATED', syscall: 'recvmsg' });
    // About 20 of the 100 fds fit before the limit: had any of them stayed
    // open, the count would be above where it started.
    expect(report.after).toBeLessThanOrEqual(report.before);
  });
});
