// A DataConnector that makes data sockets in its own process, with the
// nobody helper's peer checks: for single-process runs (tests, benchmarks,
// a server started without root). In the real server the worker has no
// network and the helper makes every socket; this class must not run there.
import { connectTcp, refusal, type FdHandle, type TcpListener } from 'privsep';
import { sameAddress } from '../../ftp/index.js';
import { passiveListener } from '../passive-listener.js';
import type { DataConnector } from './session-host.js';

/** The policy of a {@link LocalDataConnector}: pasv_promiscuous, port_promiscuous, accept_timeout and connect_timeout (seconds, 0: none). */
export interface LocalDataPolicy {
  pasvPromiscuous: boolean;
  portPromiscuous: boolean;
  acceptTimeout: number;
  connectTimeout: number;
}

function timeoutMs(seconds: number): number | undefined {
  return seconds > 0 ? seconds * 1000 : undefined;
}

function refused(why: string): Error {
  return refusal('EACCES', `EACCES: permission denied, ${why}`);
}

/**
 * Data sockets for one session, made here: passive listeners on the control
 * connection's local address (a free port picked at random), active connections to the
 * client. Like the helper, it trusts nothing the session asks: an active
 * connection goes only to the client's address and a port >= 1024, and a
 * passive connection from anyone else is refused, unless the policy is
 * promiscuous.
 */
export class LocalDataConnector implements DataConnector {
  readonly #client: string;
  readonly #local: string;
  readonly #policy: LocalDataPolicy;
  #listener: TcpListener | null = null;

  /**
   * @param client the control connection's remote address (the master's word, in the real server)
   * @param local the control connection's local address, where passive listeners go
   */
  constructor(client: string, local: string, policy: LocalDataPolicy) {
    this.#client = client;
    this.#local = local;
    this.#policy = policy;
  }

  /** @throws EADDRINUSE, EMFILE */
  async pasvListen(): Promise<{ port: number }> {
    await this.pasvClose();
    this.#listener = passiveListener(this.#local, 0, 0);
    return { port: this.#listener.port };
  }

  /** Takes one connection, which ends the listening. @throws EACCES for a connection from another address (it is closed); ETIMEDOUT (accept_timeout); AbortError */
  async pasvAccept(signal: AbortSignal): Promise<FdHandle> {
    const listener = this.#listener;
    if (!listener) throw refused('not listening');
    const { fd, peer } = await listener.accept({ signal, timeoutMs: timeoutMs(this.#policy.acceptTimeout) });
    // One connection per PASV, as in the helper.
    listener.close();
    if (this.#listener === listener) this.#listener = null;
    if (!this.#policy.pasvPromiscuous && !sameAddress(peer.address, this.#client)) {
      fd.close();
      throw refused(`passive data connection from ${peer.address}, not the client`);
    }
    return fd;
  }

  /** @throws EACCES for a target that is not the client or is below port 1024; ECONNREFUSED; ETIMEDOUT (connect_timeout); AbortError */
  async portConnect(address: string, port: number, signal: AbortSignal): Promise<FdHandle> {
    if (!this.#policy.portPromiscuous && (!sameAddress(address, this.#client) || port < 1024)) {
      throw refused(`active data connection to ${address} port ${port}`);
    }
    return connectTcp({ host: address, port, signal, timeoutMs: timeoutMs(this.#policy.connectTimeout) });
  }

  async pasvClose(): Promise<void> {
    this.#listener?.close();
    this.#listener = null;
  }
}
