// handoffd's command line and --config file: defaults, the file under the
// command line, and a clear error naming each bad option (with the file and
// line for one from the file).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../examples/handoff/options.js';
import { changedOptions } from '../../examples/handoff/config-reload.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('handoffd-options-');
afterAll(() => dir.remove());

function configFile(text: string): string {
  const file = path.join(dir.path, `handoffd-${Math.random().toString(36).slice(2)}.conf`);
  fs.writeFileSync(file, text);
  return file;
}

describe('handoffd options', () => {
  it('has defaults and takes what it is given', () => {
    expect(parseOptions([])).toMatchObject({ host: '127.0.0.1', port: 8080, tlsPort: 8443, workers: 2, user: 'nobody', policy: 'round-robin' });
    expect(parseOptions(['--port', '0', '--workers', '4', '--policy', 'least-connections'])).toMatchObject({ port: 0, workers: 4, policy: 'least-connections' });
    expect(parseOptions(['--help'])).toBe('help');
  });

  it('names the option that is wrong', () => {
    expect(() => parseOptions(['--bogus'])).toThrow('unknown option "--bogus"');
    expect(() => parseOptions(['--port', '70000'])).toThrow(/--port needs a whole number from 0 to 65535/);
    expect(() => parseOptions(['--workers'])).toThrow('--workers needs a value');
    expect(() => parseOptions(['--policy', 'random'])).toThrow(/--policy must be round-robin or least-connections/);
    expect(() => parseOptions(['--cert', 'c.pem'])).toThrow('--cert and --key go together');
  });

  it('reads --config: key=value lines, comments, and the command line over it', () => {
    const file = configFile('# handoffd\n\nworkers = 3\npolicy=least-connections\ntls-port=9443\nport=9080\n');
    expect(parseOptions(['--config', file])).toMatchObject({ workers: 3, policy: 'least-connections', tlsPort: 9443, port: 9080, config: file });
    expect(parseOptions(['--workers', '5', '--config', file])).toMatchObject({ workers: 5, policy: 'least-connections' });
  });

  it('names the file and line of a bad setting, and a file that cannot be read', () => {
    expect(() => parseOptions(['--config', configFile('workers=2\nworkers=0\n')])).toThrow(/handoffd-\w+\.conf:2: workers needs a whole number from 1 to 256, not "0"$/);
    expect(() => parseOptions(['--config', configFile('# ok\nnot a setting\n')])).toThrow(/\.conf:2: expected key=value, got "not a setting"$/);
    expect(() => parseOptions(['--config', configFile('colour=blue\n')])).toThrow(/\.conf:1: unknown option "colour"/);
    expect(() => parseOptions(['--config', configFile('policy=random\n')])).toThrow(/\.conf:1: policy must be round-robin or least-connections/);
    expect(() => parseOptions(['--config', configFile('cert=c.pem\n')])).toThrow(/--cert and --key go together \(in .*\.conf too\)/);
    expect(() => parseOptions(['--config', path.join(dir.path, 'missing.conf')])).toThrow(/cannot read .*missing\.conf: ENOENT/);
  });

  it('names the options a reload changes', () => {
    const old = parseOptions([]);
    const next = parseOptions(['--workers', '3', '--tls-port', '9999']);
    if (typeof old === 'string' || typeof next === 'string') throw new Error('options expected');
    expect(changedOptions(old, next)).toEqual(['tls-port', 'workers']);
    expect(changedOptions(old, old)).toEqual([]);
  });
});

