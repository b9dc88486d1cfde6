// deny_file and hide_file patterns: vsftpd's syntax and its "contains the
// whole text" rule, one name at a time, in time bounded by pattern length x
// name length even for a pattern and name that make a backtracking matcher
// take exponential time.
import { describe, expect, it } from 'vitest';
import { Glob } from '../../../examples/miniftp/session/glob.js';
import { NamePattern, namePatternError } from '../../../examples/miniftp/session/name-pattern.js';

describe('NamePattern', () => {
  it('matches vsftpd\'s {*.mp3,*.mov,.private} examples by whole names', () => {
    const pattern = new NamePattern('{*.mp3,*.mov,.private}');
    for (const name of ['song.mp3', '.mp3', 'clip.mov', '.private']) expect(pattern.matches(name), name).toBe(true);
    for (const name of ['song.mp3.txt', 'x.private.txt', 'mp3', 'clip.MOV']) expect(pattern.matches(name), name).toBe(false);
  });

  it('hide_file={*.mp3,.hidden,hide*,h?}: every alternative; ? is one character', () => {
    const pattern = new NamePattern('{*.mp3,.hidden,hide*,h?}');
    for (const name of ['a.mp3', '.hidden', 'hide', 'hide-me', 'hx']) expect(pattern.matches(name), name).toBe(true);
    for (const name of ['hxy', 'h', '.hiddenx', 'xhide']) expect(pattern.matches(name), name).toBe(false);
  });

  it('a name that contains the whole text matches (vsftpd\'s rule), so a plain word matches inside names', () => {
    const pattern = new NamePattern('.private');
    expect(pattern.matches('.private')).toBe(true);
    expect(pattern.matches('x.private.txt')).toBe(true);
    expect(pattern.matches('private')).toBe(false);
  });

  it('matchesAnyPart: any component of a path', () => {
    const pattern = new NamePattern('{*.mp3,.private}');
    expect(pattern.matchesAnyPart('/music/.private/readme.txt')).toBe(true);
    expect(pattern.matchesAnyPart('/a.mp3/readme.txt')).toBe(true);
    expect(pattern.matchesAnyPart('/music/readme.txt')).toBe(false);
    expect(pattern.matchesAnyPart('/')).toBe(false);
  });

  it('a hostile pattern and name cost at most pattern length x name length steps (a backtracking matcher needs ~n^12)', () => {
    const hostile = `${'*a'.repeat(12)}*b`;
    const name = 'a'.repeat(250);
    const glob = new Glob(hostile);
    expect(glob.matches(name)).toBe(false);
    expect(glob.steps).toBeLessThanOrEqual((hostile.length + 1) * (name.length + 1));
    // Through NamePattern too, many times over: well within a second, where backtracking would not end.
    const pattern = new NamePattern(`{${hostile},${'*?'.repeat(12)}b}`);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) expect(pattern.matches(name)).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
    expect(pattern.matches(`${name}b`)).toBe(true);
  });

  it('refuses paths, over-long patterns and too many alternatives, with the reason', () => {
    expect(namePatternError('a/b/?')).toBe('must match names, not paths: no /');
    expect(namePatternError('x'.repeat(256))).toMatch(/Pattern too long/);
    expect(namePatternError('{a,b}'.repeat(7))).toMatch(/more than 64 alternatives/);
    expect(namePatternError('{*.mp3,*.mov}')).toBeUndefined();
    expect(() => new NamePattern('a/b')).toThrow(/not paths/);
  });
});
