// The TLS certificate handoffd serves: the one given, or a self-signed one
// made with openssl(1) at first start and kept in the state directory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface CertificateFiles {
  cert: string;
  key: string;
}

/** Makes (once) a self-signed certificate for localhost in `stateDir`. @throws when openssl fails */
export function ensureSelfSigned(stateDir: string): CertificateFiles {
  const files = { cert: path.join(stateDir, 'cert.pem'), key: path.join(stateDir, 'key.pem') };
  if (fs.existsSync(files.cert) && fs.existsSync(files.key)) return files;
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '825',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    '-keyout', files.key, '-out', files.cert,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.chmodSync(files.key, 0o600);
  return files;
}
