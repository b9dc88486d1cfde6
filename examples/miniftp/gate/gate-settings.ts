// What the TLS gate needs to terminate TLS: the certificate and private key
// (the master reads them as root and sends them once) and the version and
// cipher policy. Pure.
import type tls from 'node:tls';
import { parseCertificates, type ClientCertRule } from './client-cert.js';

/** The gate's `configure` request carries these, as JSON. */
export interface GateSettings {
  /** PEM: the certificate (chain). */
  cert: string;
  /** PEM: its private key. */
  key: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** The TLS 1.2 cipher list (OpenSSL's syntax), or null for Node's defaults. */
  ciphers: string | null;
  /** require_ssl_reuse: a data connection must resume its control connection's TLS session. */
  requireReuse: boolean;
  /** strict_ssl_read_eof: an upload must end with close_notify; the gate seals the data of one that does. */
  strictReadEof: boolean;
  /** PEM: ca_certs_file, the CAs client certificates are checked against, or null. */
  ca: string | null;
  /** require_cert: every handshake must bring a client certificate. */
  requireCert: boolean;
  /** validate_cert: that certificate must be signed by `ca` and valid now. */
  validateCert: boolean;
  /** debug_ssl: a line on stderr for every handshake. */
  debug: boolean;
}

/** node:tls's secure context options for `settings` (the master checks them with it; the gate serves with it). */
export function secureContextOptions(settings: GateSettings): tls.SecureContextOptions {
  return {
    cert: settings.cert,
    key: settings.key,
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    ...(settings.ciphers === null ? {} : { ciphers: settings.ciphers }),
    ...(settings.ca === null ? {} : { ca: settings.ca }),
  };
}

/** require_cert and validate_cert as the gate checks them. */
export function clientCertRule(settings: GateSettings): ClientCertRule {
  return { required: settings.requireCert, cas: settings.requireCert && settings.validateCert && settings.ca !== null ? parseCertificates(settings.ca) : null };
}
