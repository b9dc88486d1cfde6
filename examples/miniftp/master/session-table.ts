// The master's table of sessions: which client, which stage, which worker;
// the max_clients and max_per_ip limits are counted here.
import type { WorkerIdentity } from '../protocols.js';

export type SessionStage = 'prelogin' | 'approved' | 'moving' | 'postlogin';

export interface SessionRecord {
  sid: number;
  client: string;
  /** Both ends of the control connection ("local-address port remote-address port"), to know it again. */
  connection: string;
  localAddress: string;
  stage: SessionStage;
  /** The worker process that holds the control connection now (null while the master moves it). */
  workerPid: number | null;
  user: string | null;
  loginFails: number;
  /** A login check of this session is running. */
  checking: boolean;
  /** performance.now() before which the next login is refused (delay_failed_login). */
  loginNotBefore: number;
  /** The identity of an approved login, until the hand-over. */
  approved: WorkerIdentity | null;
  /**
   * The control connection goes through the TLS gate (after AUTH TLS, or
   * implicit_ssl): `connection` then names the plaintext end the worker holds.
   */
  tls: boolean;
}

export type AdmitResult = { ok: true; record: SessionRecord } | { ok: false; reason: 'max_clients' | 'max_per_ip' };

export class SessionTable {
  readonly #sessions = new Map<number, SessionRecord>();
  readonly #perIp = new Map<string, number>();
  #maxClients: number;
  #maxPerIp: number;
  #nextSid = 1;

  /** 0 means no limit. */
  constructor(maxClients: number, maxPerIp: number) {
    this.#maxClients = maxClients;
    this.#maxPerIp = maxPerIp;
  }

  /** New limits for the connections that come next (a reload); sessions in excess of them go on. */
  setLimits(maxClients: number, maxPerIp: number): void {
    this.#maxClients = maxClients;
    this.#maxPerIp = maxPerIp;
  }

  /** Every session. */
  all(): IterableIterator<SessionRecord> {
    return this.#sessions.values();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Admits a new connection, or says which limit it hit. */
  admit(client: string, localAddress: string, connection = ''): AdmitResult {
    if (this.#maxClients > 0 && this.#sessions.size >= this.#maxClients) return { ok: false, reason: 'max_clients' };
    const fromIp = this.#perIp.get(client) ?? 0;
    if (this.#maxPerIp > 0 && fromIp >= this.#maxPerIp) return { ok: false, reason: 'max_per_ip' };
    const sid = this.#nextSid;
    this.#nextSid = this.#nextSid >= 0x7fffffff ? 1 : this.#nextSid + 1;
    const record: SessionRecord = {
      sid, client, connection, localAddress, stage: 'prelogin', workerPid: null, user: null, loginFails: 0,
      checking: false, loginNotBefore: 0, approved: null, tls: false,
    };
    this.#sessions.set(sid, record);
    this.#perIp.set(client, fromIp + 1);
    return { ok: true, record };
  }

  get(sid: number): SessionRecord | undefined {
    return this.#sessions.get(sid);
  }

  /** Logins approved and not yet handed over. */
  approvedCount(): number {
    let count = 0;
    for (const record of this.#sessions.values()) if (record.approved !== null) count++;
    return count;
  }

  /** Sessions not logged in yet: in the pre-login worker or on their way to it. */
  loggingInCount(): number {
    let count = 0;
    for (const record of this.#sessions.values()) if (record.stage === 'prelogin' || record.stage === 'approved') count++;
    return count;
  }

  /** Every session held by the worker `pid`. */
  heldBy(pid: number): SessionRecord[] {
    return [...this.#sessions.values()].filter((s) => s.workerPid === pid);
  }

  remove(sid: number): SessionRecord | undefined {
    const record = this.#sessions.get(sid);
    if (!record) return undefined;
    this.#sessions.delete(sid);
    const left = (this.#perIp.get(record.client) ?? 1) - 1;
    if (left > 0) this.#perIp.set(record.client, left);
    else this.#perIp.delete(record.client);
    return record;
  }
}
