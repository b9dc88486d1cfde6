// One session's data channel in the nobody helper: makes the data sockets a
// worker asks for, and trusts nothing it says. The client's address comes
// from the master; every peer is checked against it (no FTP bounce, no PASV
// theft). Privileged side: look for suitable paranoia in this file.
import { BrokerServer, TcpListener, connectTcp, type FdHandle } from 'privsep';
import { sameAddress } from '../../ftp/index.js';
import type { HelperSettings } from '../config-table.js';
import { dataProtocol, type SessionAddresses } from './protocols.js';

function refused(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

// vsftpd picks passive ports at random in the range and tries a few.
const PASV_BIND_TRIES = 64;

export class DataSession {
  readonly #settings: HelperSettings;
  readonly #addresses: SessionAddresses;
  #listener: TcpListener | null = null;
  #listenerDeadline = 0;
  readonly server: BrokerServer<typeof dataProtocol.requests>;

  constructor(channel: FdHandle, settings: HelperSettings, addresses: SessionAddresses) {
    this.#settings = settings;
    this.#addresses = addresses;
    this.server = new BrokerServer(channel, dataProtocol, {
      answerPasvListen: () => this.#pasvListen(),
      answerPasvAccept: (waitMs: number) => this.#pasvAccept(waitMs),
      answerPortConnect: (address: Buffer, port: number) => this.#portConnect(address.toString(), port),
      answerPasvClose: () => this.#closeListener(),
    });
    void this.server.done.then(() => this.#closeListener());
  }

  #pasvListen(): number {
    this.#closeListener();
    const { pasvMinPort, pasvMaxPort } = this.#settings;
    const host = this.#addresses.localAddress;
    this.#listenerDeadline = this.#settings.acceptTimeout > 0 ? Date.now() + this.#settings.acceptTimeout * 1000 : Infinity;
    if (pasvMinPort === 0 && pasvMaxPort === 0) {
      this.#listener = new TcpListener({ host, port: 0, backlog: 1 });
      return this.#listener.port;
    }
    const low = pasvMinPort || 1024;
    const high = pasvMaxPort || 65535;
    let lastError: unknown = null;
    for (let i = 0; i < PASV_BIND_TRIES; i++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      try {
        this.#listener = new TcpListener({ host, port, backlog: 1 });
        return port;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? refused('EADDRINUSE', 'no free passive port');
  }

  // accept_timeout is enforced here, where the listener is. The worker asks
  // in slices (so that an ABOR never waits long behind an accept): EAGAIN
  // ends a slice, ETIMEDOUT the wait. The listener stays until a connection
  // is taken, PASV comes again, or accept_timeout has passed since PASV.
  async #pasvAccept(waitMs: number): Promise<FdHandle> {
    const listener = this.#listener;
    if (!listener) throw refused('ENOTCONN', 'no passive listener: PASV first');
    const left = this.#listenerDeadline - Date.now();
    if (left <= 0) {
      this.#closeListener();
      throw refused('ETIMEDOUT', 'accept_timeout passed');
    }
    let taken: { fd: FdHandle; peer: { address: string } };
    try {
      taken = await listener.accept({ timeoutMs: Math.max(1, Math.min(waitMs, left)) });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ETIMEDOUT') this.#closeListener();
      else if (Date.now() < this.#listenerDeadline) throw refused('EAGAIN', 'no connection yet');
      else {
        this.#closeListener();
        throw refused('ETIMEDOUT', 'accept_timeout passed');
      }
      throw err;
    }
    this.#closeListener();
    if (this.#settings.pasvPromiscuous || sameAddress(taken.peer.address, this.#addresses.clientAddress)) return taken.fd;
    // Someone else raced the client to the port: refuse them and fail this
    // transfer, as vsftpd does.
    taken.fd.close();
    throw refused('EACCES', `passive data connection from ${taken.peer.address}, not the client`);
  }

  async #portConnect(address: string, port: number): Promise<FdHandle> {
    if (!this.#settings.portPromiscuous) {
      if (!sameAddress(address, this.#addresses.clientAddress)) throw refused('EACCES', 'PORT to an address that is not the client');
      if (port < 1024) throw refused('EACCES', 'PORT to a privileged port');
    }
    if (port < 1 || port > 65535) throw refused('EINVAL', 'bad port');
    return connectTcp({
      host: address,
      port,
      localAddress: this.#addresses.localAddress,
      localPort: this.#settings.connectFromPort20 ? this.#settings.ftpDataPort : 0,
      timeoutMs: this.#settings.connectTimeout > 0 ? this.#settings.connectTimeout * 1000 : undefined,
    });
  }

  #closeListener(): void {
    this.#listener?.close();
    this.#listener = null;
  }
}
