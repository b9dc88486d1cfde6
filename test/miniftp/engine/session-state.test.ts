// The settings and the hand-over state: defaults, checks, and a state from
// another process accepted only when every field is well formed.
import { describe, expect, it } from 'vitest';
import { COMMANDS, DEFAULT_ENGINE_OPTIONS, engineOptions, newSessionState, parseSessionState } from '../../../examples/miniftp/session/index.js';

describe('engine options', () => {
  it('has vsftpd defaults and checks overrides', () => {
    expect(engineOptions()).toEqual(DEFAULT_ENGINE_OPTIONS);
    expect(engineOptions({ localUmask: 0o022 }).localUmask).toBe(0o022);
    expect(() => engineOptions({ idleSessionTimeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => engineOptions({ localUmask: 0o1000 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => engineOptions({ maxCommandLineBytes: 10 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => engineOptions({ root: 'relative' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('session state', () => {
  it('survives JSON and the check', () => {
    const state = newSessionState({ user: 'alice', loggedIn: true, cwd: '/pub', type: 'ascii', umask: 0o022 });
    expect(parseSessionState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it.each([
    ['type', 'ebcdic'],
    ['cwd', 'relative'],
    ['umask', 0o7777],
    ['user', 7],
    ['mlstFacts', ['type', 'owner']],
    ['root', 'x\0y'],
    ['restartOffset', -1],
    ['splitter', null],
  ])('refuses a bad %s', (field, value) => {
    const state = { ...newSessionState(), [field]: value };
    expect(() => parseSessionState(state)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(field) }));
  });

  it('drops fields it does not know', () => {
    const parsed = parseSessionState({ ...newSessionState(), admin: true });
    expect(parsed).not.toHaveProperty('admin');
  });
});

describe('command table', () => {
  it('knows every command of the issue, each with a handler', () => {
    const verbs = 'USER PASS QUIT NOOP SYST FEAT OPTS HELP STAT PWD XPWD CWD XCWD CDUP XCUP MKD XMKD RMD XRMD DELE RNFR RNTO SIZE MDTM TYPE MODE STRU ALLO REST PORT PASV EPRT EPSV LIST NLST MLSD MLST RETR STOR STOU APPE ABOR SITE AUTH PBSZ PROT'.split(' ');
    for (const verb of verbs) expect(typeof COMMANDS[verb]?.handler, verb).toBe('function');
  });

  it('lets only the pre-login commands run before login, and only ABOR, STAT, NOOP, QUIT during a transfer', () => {
    const prelogin = Object.entries(COMMANDS).filter(([, spec]) => spec.phase === 'any').map(([verb]) => verb).sort();
    expect(prelogin).toEqual(['AUTH', 'FEAT', 'HELP', 'NOOP', 'OPTS', 'PASS', 'PBSZ', 'PROT', 'QUIT', 'SYST', 'USER']);
    const urgent = Object.entries(COMMANDS).filter(([, spec]) => spec.urgent).map(([verb]) => verb).sort();
    expect(urgent).toEqual(['ABOR', 'NOOP', 'QUIT', 'STAT']);
  });
});
