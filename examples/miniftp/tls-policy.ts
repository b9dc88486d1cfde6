// Who must, and who may not, log in over TLS (vsftpd's force_local_logins_ssl,
// allow_anon_ssl, force_anon_logins_ssl) and who must protect data
// (force_local_data_ssl, force_anon_data_ssl). The pre-login worker answers
// USER by it; the master checks logins against it again. Pure.
import type { EngineSettingsFromTable } from './config-table.js';

/** The settings the TLS policy reads, under the engine's names. */
export type TlsPolicy = Pick<EngineSettingsFromTable,
  'sslEnable' | 'forceLocalLoginsSsl' | 'forceLocalDataSsl' | 'allowAnonSsl' | 'forceAnonLoginsSsl' | 'forceAnonDataSsl'>;

/** Why a login of this kind may not go on over this control connection (the 530's text), or null. */
export function tlsPolicyRefusal(policy: TlsPolicy, anonymous: boolean, tls: boolean): string | null {
  if (!policy.sslEnable) return null;
  if (anonymous) {
    if (tls && !policy.allowAnonSsl) return 'Anonymous sessions may not use encryption.';
    if (!tls && policy.allowAnonSsl && policy.forceAnonLoginsSsl) return 'Anonymous sessions must use encryption.';
    return null;
  }
  return !tls && policy.forceLocalLoginsSsl ? 'Non-anonymous sessions must use encryption.' : null;
}

/** Whether transfers of this kind of session need PROT P. */
export function dataProtectionRequired(policy: TlsPolicy, anonymous: boolean): boolean {
  if (!policy.sslEnable) return false;
  return anonymous ? policy.allowAnonSsl && policy.forceAnonDataSsl : policy.forceLocalDataSsl;
}
