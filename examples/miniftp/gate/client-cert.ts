// require_cert and validate_cert, checked on each handshake's client
// certificate. node:tls asks OpenSSL for the certificate but leaves the
// verdict to a tls.Server, which the gate does not use: the gate decides
// here, with the CAs of ca_certs_file. Runs in the gate; pure.
import { X509Certificate } from 'node:crypto';

/** What a handshake must show: a certificate, and whether it must be one of `cas`'s. */
export interface ClientCertRule {
  required: boolean;
  /** validate_cert: the CAs (ca_certs_file) one of which must have signed it; null: any certificate will do. */
  cas: X509Certificate[] | null;
}

/** The certificates of a PEM bundle. @throws when a block is not a certificate */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * Whether a handshake's client certificate passes: present when required,
 * and with CAs, signed by one of them (directly) and valid at `now`.
 */
export function clientCertAccepted(peer: X509Certificate | undefined, rule: ClientCertRule, now = new Date()): boolean {
  if (!rule.required) return true;
  if (!peer) return false;
  if (rule.cas === null) return true;
  if (now < new Date(peer.validFrom) || now > new Date(peer.validTo)) return false;
  return rule.cas.some((ca) => peer.checkIssued(ca) && peer.verify(ca.publicKey));
}
