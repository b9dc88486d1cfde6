// One session's data channel in the nobody helper: makes the data sockets a
// worker asks for, and trusts nothing it says. The client's address comes
// from the master; every peer is checked against it (no FTP bounce, no PASV
// theft). Privileged side: look for suitable paranoia in this file.
import { BrokerServer, connectTcp, refusal, type FdHandle, type TcpListener } from 'privsep';
import { addressFamily, sameAddress } from '../../ftp/index.js';
import type { HelperSettings } from '../config-table.js';
import { passiveListener } from '../passive-listener.js';
import { dataProtocol, type SessionAddresses } from './protocols.js';
import { PROXY_HEADER_TIMEOUT_MS, type ProxyHeaders } from '../proxy-headers.js';

export class DataSession {
  readonly #settings: HelperSettings;
  readonly #addresses: SessionAddresses;
  readonly #proxyHeaders: ProxyHeaders | null;
  #listener: TcpListener | null = null;
  #listenerDeadline = 0;
  // Closes a listener nobody took a connection from within accept_timeout
  // (unless an accept is waiting: that one ends at the deadline by itself).
  #listenerTimer: NodeJS.Timeout | null = null;
  #accepting = false;
  readonly server: BrokerServer<typeof dataProtocol.requests>;

  /** `proxyHeaders`: passive connections come through a load balancer, each with a PROXY header (proxy_protocol_enable). */
  constructor(channel: FdHandle, settings: HelperSettings, addresses: SessionAddresses, proxyHeaders: ProxyHeaders | null = null) {
    this.#settings = settings;
    this.#addresses = addresses;
    this.#proxyHeaders = proxyHeaders;
    this.server = new BrokerServer(channel, dataProtocol, {
      answerPasvListen: () => this.#pasvListen(),
      answerPasvAccept: (waitMs: number) => this.#pasvAccept(waitMs),
      answerPortConnect: (address: Buffer, port: number) => this.#portConnect(address.toString(), port),
      answerPasvClose: () => this.#closeListener(),
    });
    void this.server.done.then(() => this.#closeListener());
  }

  /** Ends the session here: its listener closes now (before a reply to the master), its channel too. */
  close(): void {
    this.#closeListener();
    this.server.close();
  }

  #pasvListen(): number {
    this.#closeListener();
    const { pasvMinPort, pasvMaxPort } = this.#settings;
    const host = this.#addresses.localAddress;
    this.#listenerDeadline = this.#settings.acceptTimeout > 0 ? Date.now() + this.#settings.acceptTimeout * 1000 : Infinity;
    this.#listener = passiveListener(host, pasvMinPort, pasvMaxPort);
    // A client that sends PASV and then never transfers must not hold a
    // port (and an fd of the helper's) for the rest of its session.
    if (this.#settings.acceptTimeout > 0) {
      this.#listenerTimer = setTimeout(() => {
        this.#listenerTimer = null;
        if (!this.#accepting) this.#closeListener();
      }, this.#settings.acceptTimeout * 1000);
      this.#listenerTimer.unref();
    }
    return this.#listener.port;
  }

  // accept_timeout is enforced here, where the listener is. The worker asks
  // in slices (so that an ABOR never waits long behind an accept): EAGAIN
  // ends a slice, ETIMEDOUT the wait. The listener stays until a connection
  // is taken, PASV comes again, or accept_timeout has passed since PASV
  // (with no transfer command, the timer above closes it then).
  async #pasvAccept(waitMs: number): Promise<FdHandle> {
    const listener = this.#listener;
    if (!listener) throw refusal('ENOTCONN', 'no passive listener: PASV first');
    const left = this.#listenerDeadline - Date.now();
    if (left <= 0) {
      this.#closeListener();
      throw refusal('ETIMEDOUT', 'accept_timeout passed');
    }
    let taken: { fd: FdHandle; peer: { address: string } };
    this.#accepting = true;
    try {
      taken = await listener.accept({ timeoutMs: Math.max(1, Math.min(waitMs, left)) });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ETIMEDOUT') this.#closeListener();
      else if (Date.now() < this.#listenerDeadline) throw refusal('EAGAIN', 'no connection yet');
      else {
        this.#closeListener();
        throw refusal('ETIMEDOUT', 'accept_timeout passed');
      }
      throw err;
    } finally {
      this.#accepting = false;
    }
    this.#closeListener();
    let peer = taken.peer.address;
    if (this.#proxyHeaders) {
      // The balancer relays the connection: its header says whose it is.
      // Waiting for it holds up only this session's request.
      const proxied = await this.#proxyHeaders.clientOf(taken.fd, peer, Math.max(1, Math.min(PROXY_HEADER_TIMEOUT_MS, this.#listenerDeadline - Date.now())));
      if (!proxied.ok) {
        taken.fd.close();
        // The master copies this to its stderr (bounded per helper).
        console.error(`miniftp helper: passive data connection for ${this.#addresses.clientAddress} refused: ${proxied.reason}`);
        throw refusal('EACCES', `passive data connection refused: ${proxied.reason}`);
      }
      peer = proxied.client;
    }
    if (this.#settings.pasvPromiscuous || sameAddress(peer, this.#addresses.clientAddress)) return taken.fd;
    // Someone else raced the client to the port: refuse them and fail this
    // transfer, as vsftpd does.
    taken.fd.close();
    throw refusal('EACCES', `passive data connection from ${peer}, not the client`);
  }

  async #portConnect(address: string, port: number): Promise<FdHandle> {
    if (!this.#settings.portPromiscuous) {
      if (!sameAddress(address, this.#addresses.clientAddress)) throw refusal('EACCES', 'PORT to an address that is not the client');
      if (port < 1024) throw refusal('EACCES', 'PORT to a privileged port');
    }
    if (port < 1 || port > 65535) throw refusal('EINVAL', 'bad port');
    const local = this.#addresses.localAddress;
    return connectTcp({
      host: address,
      port,
      // Behind a load balancer the client may have the other address family
      // than the balancer's link to this server: the system picks the source then.
      localAddress: addressFamily(address) === addressFamily(local) ? local : undefined,
      localPort: this.#settings.connectFromPort20 ? this.#settings.ftpDataPort : 0,
      timeoutMs: this.#settings.connectTimeout > 0 ? this.#settings.connectTimeout * 1000 : undefined,
    });
  }

  #closeListener(): void {
    if (this.#listenerTimer) clearTimeout(this.#listenerTimer);
    this.#listenerTimer = null;
    this.#listener?.close();
    this.#listener = null;
  }
}
