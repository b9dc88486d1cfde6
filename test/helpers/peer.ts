// A child process running test/fixtures/fd-peer.mjs, driven over a Channel.
import { Channel, socketPair, type Sendable } from '../../src/index.js';
import { fixture, startNode, type RunningChild } from './process.js';

export interface Peer {
  channel: Channel;
  proc: RunningChild;
  ask<T = unknown>(request: object, fds?: Sendable[]): Promise<T & { pid: number }>;
  stop(): Promise<void>;
}

export function startPeer(): Peer {
  const [mine, theirs] = socketPair();
  const proc = startNode(fixture('fd-peer.mjs'), [], [theirs.fd]);
  theirs.close();
  const channel = Channel.fromFd(mine);
  return {
    channel,
    proc,
    async ask(request, fds = []) {
      await channel.send(JSON.stringify(request), fds);
      const message = await channel.receive();
      for (const fd of message.fds) fd.close();
      const answer = JSON.parse(message.data.toString());
      if (!answer.ok) throw Object.assign(new Error(answer.error), { code: answer.code });
      return { ...answer.result, pid: answer.pid };
    },
    async stop() {
      channel.close();
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
  };
}
