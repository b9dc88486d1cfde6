// The worker side of hand-off: receives connections from the master over the
// Channel on fd 3 and yields each as a net.Socket with where it came from.
// Runs unprivileged.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Channel } from '../fd/channel.js';
import type { Message } from '../fd/channel.js';
import { ProtocolError } from '../errors.js';
import { decodePeer } from '../fd/peer-address.js';
import { setDumpable } from '../privilege/process-flags.js';
import { CONNECTIONS, DRAIN, HELLO, READY, decodeConnections, decodeHello, encodeReport } from './wire.js';

/** A connection handed over by the master. */
export interface HandedConnection {
  socket: net.Socket;
  /** The name of the listener it came in on. */
  listener: string;
  remoteAddress: string;
  remotePort: number;
  remoteFamily: 'IPv4' | 'IPv6';
}

export interface HandoffWorkerOptions {
  /** The fd of the Channel to the master (default 3). */
  fd?: number;
  /** Exit the process once drained and every connection has closed (default true). */
  exitWhenDrained?: boolean;
  /**
   * Leave the process dumpable (default false: it is made not dumpable, so
   * it dumps no core, and a process of the same uid can neither ptrace it
   * nor read its /proc files: environ, mem, fd). The kernel makes a process
   * dumpable again at execve, so only the worker itself can do this.
   */
  dumpable?: boolean;
}

export declare interface HandoffWorker {
  on(event: 'connection', listener: (connection: HandedConnection) => void): this;
  on(event: 'drain', listener: () => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/**
 * A worker's link to its master. Emits 'connection' for each handed-over
 * connection, 'drain' when the master asks it to finish (no more will come),
 * and 'close' when the master is gone.
 */
export class HandoffWorker extends EventEmitter {
  readonly #channel: Channel;
  readonly #exitWhenDrained: boolean;
  #listeners: string[] = [];
  #active = 0;
  #draining = false;
  #closedIds: number[] = [];
  #flushScheduled = false;

  constructor(options: HandoffWorkerOptions = {}) {
    super();
    if (options.dumpable !== true) setDumpable(false);
    this.#exitWhenDrained = options.exitWhenDrained ?? true;
    this.#channel = Channel.fromFd(options.fd ?? 3);
    this.#channel.on('message', (message) => this.#onMessage(message));
    this.#channel.on('error', (err) => this.emit('error', err));
    this.#channel.on('close', () => this.emit('close'));
  }

  /** Connections handed over and not yet closed. */
  get active(): number {
    return this.#active;
  }

  #onMessage({ data, fds }: Message): void {
    const type = data[0];
    if (type === CONNECTIONS) {
      let connections;
      try {
        connections = decodeConnections(data, fds.length);
      } catch (err) {
        for (const fd of fds) fd.close();
        throw err;
      }
      void this.#channel.send(encodeReport(connections.map((c) => c.id), this.#takeClosed())).catch(() => {});
      connections.forEach((c, i) => {
        const peer = decodePeer(c.peer, 0);
        const socket = fds[i]!.toSocket();
        this.#active++;
        socket.once('close', () => this.#onClosed(c.id));
        this.emit('connection', {
          socket,
          listener: this.#listeners[c.listener] ?? String(c.listener),
          remoteAddress: peer.address,
          remotePort: peer.port,
          remoteFamily: peer.family,
        });
      });
    } else if (type === HELLO) {
      this.#listeners = decodeHello(data);
      void this.#channel.send(Buffer.from([READY])).catch(() => {});
    } else if (type === DRAIN) {
      this.#draining = true;
      this.emit('drain');
      this.#maybeFinish();
    } else {
      for (const fd of fds) fd.close();
      this.#channel.emit('error', new ProtocolError(`unknown message type ${type} from the master`));
      this.#channel.close();
    }
  }

  #onClosed(id: number): void {
    this.#active--;
    this.#closedIds.push(id);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        const closed = this.#takeClosed();
        if (closed.length > 0 && !this.#channel.closed) void this.#channel.send(encodeReport([], closed)).catch(() => {});
        this.#maybeFinish();
      });
    }
  }

  #takeClosed(): number[] {
    const closed = this.#closedIds;
    this.#closedIds = [];
    return closed;
  }

  #maybeFinish(): void {
    if (!this.#draining || this.#active > 0) return;
    this.#channel.close();
    if (this.#exitWhenDrained) process.exit(0);
  }
}

/**
 * Connects this process, started by a HandoffMaster, to its master, and makes
 * it not dumpable. Call it before reading anything secret (a key at fd 4, say).
 */
export function handoffWorker(options: HandoffWorkerOptions = {}): HandoffWorker {
  return new HandoffWorker(options);
}
