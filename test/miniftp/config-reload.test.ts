// What a reload of miniftp's configuration replaces, from the settings that
// changed: the listener, the logs, the helper, the TLS gate, the workers.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../examples/miniftp/config.js';
import { changedSettings, reloadPlan } from '../../examples/miniftp/master/config-reload.js';
import type { LoadedConfig } from '../../examples/miniftp/load-config.js';
import type { GateSettings } from '../../examples/miniftp/gate/gate-settings.js';
import { parseUserDb } from '../../examples/miniftp/user-db.js';

const loaded = (text: string, extra: Partial<LoadedConfig> = {}): LoadedConfig => ({ config: parseConfig(text, 'f'), userDb: null, tls: null, ...extra });
const gate = (cert: string): GateSettings => ({
  cert, key: 'key', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: null, requireReuse: true, strictReadEof: false,
  ca: null, requireCert: false, validateCert: false, debug: false,
});

describe('miniftp reload plan', () => {
  it('names the settings whose values differ, in the table\'s order', () => {
    expect(changedSettings(parseConfig('ftpd_banner=a\nmax_clients=5\n', 'f'), parseConfig('max_clients=6\nftpd_banner=b\n', 'g'))).toEqual(['max_clients', 'ftpd_banner']);
    expect(changedSettings(parseConfig('ftpd_banner=a\n', 'f'), parseConfig('ftpd_banner=a\n', 'g'))).toEqual([]);
  });

  it('nothing changed: nothing is replaced', () => {
    expect(reloadPlan(loaded('listen_port=21\n'), loaded('listen_port=21\n'))).toEqual({
      changed: [], listener: false, helper: false, gate: false, workers: false, spares: false,
    });
  });

  it('a setting only the master reads keeps every process', () => {
    expect(reloadPlan(loaded(''), loaded('max_clients=3\nmax_per_ip=1\n'))).toMatchObject({ listener: false, helper: false, gate: false, workers: false, spares: false });
    expect(reloadPlan(loaded(''), loaded('spare_workers=4\n'))).toMatchObject({ workers: false, spares: true });
    expect(reloadPlan(loaded(''), loaded('listen_port=2121\n'))).toMatchObject({ changed: ['listen_port'], listener: true, workers: false });
  });

  it('a setting the workers read replaces them; one the helper reads replaces it too', () => {
    expect(reloadPlan(loaded(''), loaded('ftpd_banner=hello\n'))).toMatchObject({ helper: false, gate: false, workers: true, spares: true });
    expect(reloadPlan(loaded(''), loaded('pasv_min_port=50000\npasv_max_port=50100\n'))).toMatchObject({ helper: true, workers: true });
    expect(reloadPlan(loaded(''), loaded('helper_uid=65000\n'))).toMatchObject({ helper: true, gate: false });
  });

  it('a certificate or user database rewritten under the same name counts as a change', () => {
    expect(reloadPlan(loaded('', { tls: gate('one') }), loaded('', { tls: gate('two') }))).toMatchObject({
      changed: ['rsa_cert_file/rsa_private_key_file/ca_certs_file (their contents)'], gate: true, workers: false,
    });
    const db = (hash: string): LoadedConfig['userDb'] => parseUserDb(`carol:${hash}:bob:/srv\n`, 'users');
    expect(reloadPlan(loaded('', { userDb: db('$6$saltsalt$one') }), loaded('', { userDb: db('$6$saltsalt$two') }))).toMatchObject({ changed: ['user_db (its contents)'], workers: true });
    expect(reloadPlan(loaded('', { userDb: db('$6$saltsalt$one') }), loaded('', { userDb: db('$6$saltsalt$one') })).changed).toEqual([]);
  });
});
