// The server's certificate and private key for FTPS: read by the master as
// root at start (rsa_cert_file, rsa_private_key_file), checked (PEM that
// OpenSSL reads, a key that matches the certificate, a cipher list OpenSSL
// knows) and kept only to be handed to the TLS gate. Privileged side.
import crypto from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { settingError } from '../config.js';
import type { MiniftpConfig } from '../config-table.js';
import { secureContextOptions, type GateSettings } from '../gate/gate-settings.js';

function readPem(config: MiniftpConfig, key: 'rsa_cert_file' | 'rsa_private_key_file' | 'ca_certs_file', file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw settingError(config, key, `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** ca_certs_file's certificates (PEM), checked; null when unset. */
function caCertificates(config: MiniftpConfig): string | null {
  const file = config.ca_certs_file;
  if (file === null) {
    if (config.require_cert && config.validate_cert) throw settingError(config, 'validate_cert', 'it needs ca_certs_file (the CAs client certificates are checked against)');
    return null;
  }
  const pem = readPem(config, 'ca_certs_file', file);
  try {
    new crypto.X509Certificate(pem);
  } catch (err) {
    throw settingError(config, 'ca_certs_file', `not a PEM certificate (${(err as Error).message})`);
  }
  return pem.toString('latin1');
}

/**
 * The TLS gate's settings, certificate and key included.
 * @throws ConfigError naming rsa_cert_file, rsa_private_key_file,
 *   ssl_ciphers, ca_certs_file or validate_cert: a file that cannot be read,
 *   is not PEM, holds no certificate or key, a key that does not match the
 *   certificate, validate_cert without ca_certs_file
 */
export function loadTlsCredentials(config: MiniftpConfig): GateSettings {
  const certFile = config.rsa_cert_file;
  if (certFile === null) throw settingError(config, 'ssl_enable', 'it needs rsa_cert_file (the server\'s certificate)');
  const keySetting = config.rsa_private_key_file === null ? 'rsa_cert_file' : 'rsa_private_key_file';
  const cert = readPem(config, 'rsa_cert_file', certFile);
  const key = config.rsa_private_key_file === null ? cert : readPem(config, 'rsa_private_key_file', config.rsa_private_key_file);
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(cert);
  } catch (err) {
    throw settingError(config, 'rsa_cert_file', `not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch (err) {
    throw settingError(config, keySetting, `no PEM private key in it (${(err as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw settingError(config, keySetting, `the private key does not match the certificate of ${certFile}`);
  const settings: GateSettings = {
    cert: cert.toString('latin1'),
    key: key.toString('latin1'),
    minVersion: config.ssl_tlsv1_2 ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: config.ssl_tlsv1_3 ? 'TLSv1.3' : 'TLSv1.2',
    ciphers: config.ssl_ciphers,
    requireReuse: config.require_ssl_reuse,
    strictReadEof: config.strict_ssl_read_eof,
    ca: caCertificates(config),
    requireCert: config.require_cert,
    validateCert: config.validate_cert,
    debug: config.debug_ssl,
  };
  try {
    tls.createSecureContext(secureContextOptions(settings));
  } catch (err) {
    const why = (err as Error).message;
    if (config.ssl_ciphers !== null && /cipher/i.test(why)) throw settingError(config, 'ssl_ciphers', `OpenSSL refuses it (${why})`);
    throw settingError(config, keySetting, `OpenSSL refuses the certificate and key (${why})`);
  }
  return settings;
}
