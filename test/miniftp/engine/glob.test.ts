// LIST/NLST/STAT patterns: vsftpd's syntax (*, ?, one level of {a,b}),
// matched in time bounded by pattern length x name length, and the limits
// that refuse a pattern or a match too costly for a shared worker.
import { describe, expect, it } from 'vitest';
import { Glob, MAX_ALTERNATIVES, MAX_PATTERN_LENGTH, PatternError, filterNames, isPattern } from '../../../examples/miniftp/session/glob.js';

const matches = (pattern: string, name: string): boolean => new Glob(pattern).matches(name);

describe('Glob', () => {
  it('matches * and ? as the shell does', () => {
    expect(matches('*.txt', 'a.txt')).toBe(true);
    expect(matches('*.txt', '.txt')).toBe(true);
    expect(matches('*.txt', 'a.txt.gz')).toBe(false);
    expect(matches('a*', 'a')).toBe(true);
    expect(matches('*a', 'aba')).toBe(true);
    expect(matches('a*b*c', 'axxbyyc')).toBe(true);
    expect(matches('a*b*c', 'axxbyy')).toBe(false);
    expect(matches('?', 'x')).toBe(true);
    expect(matches('?', '')).toBe(false);
    expect(matches('??.log', 'ab.log')).toBe(true);
    expect(matches('??.log', 'abc.log')).toBe(false);
    expect(matches('*', '')).toBe(true);
    expect(matches('***', 'anything')).toBe(true);
    expect(matches('*?*', '')).toBe(false);
  });

  it('takes one character for ? even outside the BMP', () => {
    expect(matches('?.png', '😀.png')).toBe(true);
    expect(matches('??.png', '😀.png')).toBe(false);
  });

  it('treats regular expression and bracket characters literally', () => {
    expect(matches('a.c*', 'abc')).toBe(false);
    expect(matches('[ab]*', '[ab]x')).toBe(true);
    expect(matches('[ab]*', 'a')).toBe(false);
    expect(matches('(x|y)+*', '(x|y)+z')).toBe(true);
    expect(matches('a\\*', 'a\\b')).toBe(true);
  });

  it('expands {a,b} alternatives, as vsftpd; an unclosed brace is literal', () => {
    expect(matches('*.{jpg,png}', 'x.png')).toBe(true);
    expect(matches('*.{jpg,png}', 'x.gif')).toBe(false);
    expect(matches('{a,b}{1,2}', 'b2')).toBe(true);
    expect(matches('x{,y}', 'x')).toBe(true);
    expect(matches('a{b*', 'a{bc')).toBe(true);
    expect(isPattern('a{b')).toBe(false);
    expect(isPattern('a{b,c}')).toBe(true);
    expect(isPattern('plain.txt')).toBe(false);
  });

  it('refuses patterns longer than the limit or with too many alternatives', () => {
    expect(() => new Glob('*'.repeat(MAX_PATTERN_LENGTH))).not.toThrow();
    expect(() => new Glob('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(PatternError);
    expect(() => new Glob('{a,b}'.repeat(Math.log2(MAX_ALTERNATIVES)))).not.toThrow();
    expect(() => new Glob('{a,b}'.repeat(Math.log2(MAX_ALTERNATIVES) + 1))).toThrow(/alternatives/);
  });

  // Each of these takes an exponential time with a backtracking regular
  // expression; here each costs at most pattern x name steps.
  it('matches pathological patterns within pattern x name steps', () => {
    const cases: Array<[string, string]> = [
      ['***********#', 'x'.repeat(200)],
      ['*a'.repeat(100) + 'b', 'a'.repeat(255)],
      ['*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(255)],
      ['?*'.repeat(120) + '#', 'y'.repeat(255)],
      ['*' + 'a'.repeat(120) + 'b', 'a'.repeat(255)],
    ];
    for (const [pattern, name] of cases) {
      const glob = new Glob(pattern);
      const started = process.hrtime.bigint();
      expect(glob.matches(name), pattern).toBe(false);
      expect(glob.steps, pattern).toBeLessThanOrEqual((pattern.length + 1) * (name.length + 1));
      // Generous: the bound above is what the test is about; this only catches a hang.
      expect(Number(process.hrtime.bigint() - started) / 1e6, pattern).toBeLessThan(1000);
    }
  });

  it('filters names in slices and refuses a match that costs too much', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `${'a'.repeat(200)}${i}`);
    const glob = new Glob('*' + 'a'.repeat(120) + '#');
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      await expect(filterNames(names, glob, { maxSteps: 1e12, sliceSteps: 100_000 })).resolves.toEqual([]);
    } finally {
      clearInterval(timer);
    }
    // Timers ran between slices: the event loop was not held for the whole match.
    expect(turns).toBeGreaterThan(2);
    await expect(filterNames(names, new Glob('*' + 'a'.repeat(120) + '#'), { maxSteps: 1_000_000, sliceSteps: 100_000 })).rejects.toThrow(/too complex/);
    await expect(filterNames(['x.txt', 'y.log', 'z.txt'], new Glob('*.txt'))).resolves.toEqual(['x.txt', 'z.txt']);
  });
});
