// The PAM sessions of logged-in sessions (pam_service_name), by sid: opened
// at login, closed when the session ends or the master stops. Privileged
// side: closing runs PAM's session modules as root.
import type { PamSession } from 'privsep';

export class PamSessions {
  readonly #open = new Map<number, PamSession>();

  /** Keeps `pam` open for session `sid` until end(sid). */
  hold(sid: number, pam: PamSession): void {
    this.#open.set(sid, pam);
  }

  /** Closes the PAM session of `sid`, if it has one; a module's failure is reported, nothing else happens. */
  end(sid: number): Promise<void> {
    const pam = this.#open.get(sid);
    if (!pam) return Promise.resolve();
    this.#open.delete(sid);
    return close(pam);
  }

  /** Closes every PAM session still open. */
  async endAll(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(all.map(close));
  }
}

/** Closes a PAM session nobody holds (a login refused after PAM let it in, or a session gone meanwhile). */
export function close(pam: PamSession): Promise<void> {
  return pam.close().catch((err: Error) => console.error(`miniftp: closing the PAM session of ${pam.user}: ${err.message}`));
}
