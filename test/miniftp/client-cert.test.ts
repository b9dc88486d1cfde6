// The TLS gate's check of a client certificate (require_cert, validate_cert):
// present when required, signed by one of ca_certs_file's CAs, valid now.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCertAccepted, parseCertificates } from '../../examples/miniftp/gate/client-cert.js';
import { scratchDir, type ScratchDir } from '../helpers/scratch.js';
import { lacksTools } from '../helpers/tools.js';

describe.skipIf(lacksTools('client certificate checks', 'openssl'))('client certificates as the gate checks them', () => {
  let scratch: ScratchDir;
  afterAll(() => scratch?.remove());
  const file = (name: string) => path.join(scratch.path, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });

  const read = (name: string) => new X509Certificate(fs.readFileSync(file(name)));
  let bundle: X509Certificate[];

  // In a hook, not at collection: a run without openssl skips this suite but still collects it.
  beforeAll(() => {
    scratch = scratchDir('client-cert-');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=ca');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('other.key'), '-out', file('other.pem'), '-days', '2', '-subj', '/CN=other');
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('client.key'), '-out', file('client.csr'), '-subj', '/CN=client');
    openssl('x509', '-req', '-in', file('client.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('client.pem'), '-days', '2');
    bundle = parseCertificates(`${fs.readFileSync(file('other.pem'), 'utf8')}\n${fs.readFileSync(file('ca.pem'), 'utf8')}`);
  });

  it('reads every certificate of a PEM bundle', () => {
    expect(bundle.map((c) => c.subject)).toEqual(['CN=other', 'CN=ca']);
  });

  it('without require_cert, anything passes; with it, a certificate must be there', () => {
    expect(clientCertAccepted(undefined, { required: false, cas: null })).toBe(true);
    expect(clientCertAccepted(undefined, { required: true, cas: null })).toBe(false);
    expect(clientCertAccepted(read('other.pem'), { required: true, cas: null })).toBe(true);
  });

  it('with validate_cert, only a certificate a listed CA signed, and only while it is valid', () => {
    const rule = { required: true, cas: bundle };
    expect(clientCertAccepted(read('client.pem'), rule)).toBe(true);
    expect(clientCertAccepted(read('client.pem'), { required: true, cas: [read('other.pem')] })).toBe(false);
    expect(clientCertAccepted(undefined, rule)).toBe(false);
    const inAWeek = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    expect(clientCertAccepted(read('client.pem'), rule, inAWeek)).toBe(false);
  });
});
