// Self-signed certificates for FTPS tests, made with openssl: one for
// 127.0.0.1 (an IP subjectAltName, so that a client checking the host name
// accepts it when given the certificate as its CA), its key readable by root
// only, as servers want.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCertificate {
  /** The certificate (PEM file): the server's, and the CA a client trusts. */
  cert: string;
  key: string;
}

/** Makes a self-signed certificate for 127.0.0.1 in `dir`, its files named after `name`. */
export function makeCertificate(dir: string, name = 'server'): TestCertificate {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  fs.chmodSync(key, 0o600);
  return { cert, key };
}
