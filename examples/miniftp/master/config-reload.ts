// What a reload (SIGHUP) of miniftp's configuration changes: the settings
// whose values differ, and from them which parts the master must replace
// (the listener, the helper, the TLS gate, the workers; the logs are opened
// again at every reload). The master applies it (Master.reload). Pure.
import { CONFIG_TABLE, helperSettings, type ConfigKey, type MiniftpConfig } from '../config-table.js';
import type { LoadedConfig } from '../load-config.js';

const LISTENER: readonly ConfigKey[] = ['listen_address', 'listen_port', 'listen_ipv6'];
// Read by the master alone: a change of only these keeps the workers.
const MASTER_ONLY: readonly ConfigKey[] = [...LISTENER, 'max_clients', 'max_per_ip', 'worker_ping_interval', 'spare_workers'];

/** What a reload replaces; `changed` names what differs (settings, or a file's contents). */
export interface ReloadPlan {
  changed: string[];
  listener: boolean;
  helper: boolean;
  gate: boolean;
  workers: boolean;
  spares: boolean;
}

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** The settings whose values differ between `old` and `next`, in the table's order. */
export function changedSettings(old: MiniftpConfig, next: MiniftpConfig): ConfigKey[] {
  return (Object.keys(CONFIG_TABLE) as ConfigKey[]).filter((key) => old[key] !== next[key]);
}

export function reloadPlan(old: LoadedConfig, next: LoadedConfig): ReloadPlan {
  const keys = changedSettings(old.config, next.config);
  const changed: string[] = [...keys];
  // A file rewritten under the same name counts too.
  const userDb = differs([...(old.userDb ?? [])], [...(next.userDb ?? [])]) || (old.userDb === null) !== (next.userDb === null);
  if (userDb && !keys.includes('user_db')) changed.push('user_db (its contents)');
  const tls = differs(old.tls, next.tls);
  if (tls && !keys.some((key) => key.startsWith('rsa_') || key === 'ca_certs_file')) changed.push('rsa_cert_file/rsa_private_key_file/ca_certs_file (their contents)');
  const any = (list: readonly ConfigKey[]): boolean => keys.some((key) => list.includes(key));
  const workers = keys.some((key) => !MASTER_ONLY.includes(key)) || userDb;
  return {
    changed,
    listener: any(LISTENER),
    helper: differs(helperSettings(old.config), helperSettings(next.config)) || any(['helper_uid', 'nopriv_user']),
    gate: tls || any(['gate_uid', 'nopriv_user', 'secure_chroot_dir']),
    workers,
    spares: workers || keys.includes('spare_workers'),
  };
}

/** The outcome of a reload, as it was logged. */
export interface ReloadResult {
  ok: boolean;
  /** What changed (empty when nothing did, or when the reload failed). */
  changed: string[];
  /** Why the old settings stay (ok false). */
  error?: string;
}
