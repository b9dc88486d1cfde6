// Which credentials came with which bytes of a stream socket, so that each
// Channel message gets those of its sender. The kernel never joins bytes of
// different credentials in one read, so each read is one run.
import { ProtocolError } from '../errors.js';
import { type PeerCredentials, sameCredentials } from './credentials.js';

interface Run {
  bytes: number;
  credentials: PeerCredentials | null;
}

export class CredentialRuns {
  readonly #runs: Run[] = [];

  /** Records that the next `bytes` bytes came with `credentials`. */
  add(bytes: number, credentials: PeerCredentials | null): void {
    if (bytes === 0) return;
    const last = this.#runs.at(-1);
    if (last && sameCredentials(last.credentials, credentials)) last.bytes += bytes;
    else this.#runs.push({ bytes, credentials });
  }

  /**
   * The credentials of the next `bytes` bytes (one message), which leave the record.
   * @throws ProtocolError when they came with different credentials (two senders' bytes in one message)
   */
  take(bytes: number): PeerCredentials | null {
    const first = this.#runs[0];
    if (!first) throw new ProtocolError('a message arrived without a record of its credentials');
    const { credentials } = first;
    let left = bytes;
    while (left > 0) {
      const run = this.#runs[0];
      if (!run) throw new ProtocolError('a message arrived without a record of its credentials');
      if (!sameCredentials(run.credentials, credentials)) {
        throw new ProtocolError('one message came with the credentials of two senders');
      }
      const used = Math.min(left, run.bytes);
      run.bytes -= used;
      left -= used;
      if (run.bytes === 0) this.#runs.shift();
    }
    return credentials;
  }
}
