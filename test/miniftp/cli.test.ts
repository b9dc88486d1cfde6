// miniftp's command line, parsed on literal arguments.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../examples/miniftp/cli.js';

describe('miniftp command line', () => {
  it('takes a configuration file and -o settings in any order', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'run', configFile: null, overrides: [], upgrade: false });
    expect(parseCommandLine(['-olisten_port=2121', '/etc/miniftp.conf', '-oanonymous_enable=YES'])).toEqual({
      kind: 'run', configFile: '/etc/miniftp.conf', overrides: ['listen_port=2121', 'anonymous_enable=YES'], upgrade: false,
    });
  });

  it('takes --upgrade with the configuration of the master to take over from', () => {
    expect(parseCommandLine(['--upgrade', '/etc/miniftp.conf'])).toEqual({ kind: 'run', configFile: '/etc/miniftp.conf', overrides: [], upgrade: true });
  });

  it('answers --help and --version before anything else', () => {
    expect(parseCommandLine(['a.conf', '--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
    expect(parseCommandLine(['-v'])).toEqual({ kind: 'version' });
  });

  it('names what is wrong', () => {
    expect(() => parseCommandLine(['--bogus'])).toThrow('unknown option "--bogus"');
    expect(() => parseCommandLine(['a.conf', 'b.conf'])).toThrow('one configuration file only: "a.conf", then "b.conf"');
    expect(() => parseCommandLine(['-o'])).toThrow(/-o needs KEY=VALUE/);
  });
});
