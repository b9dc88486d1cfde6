// handoffd's command line: defaults, and a clear error naming each bad option.
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../examples/handoff/options.js';

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
});
