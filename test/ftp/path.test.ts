import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { isInsideRoot, parsePathnameReply, quotePathname, realToVirtual, resolvePath, virtualToReal } from '../../examples/ftp/index.js';

describe('resolvePath', () => {
  test.each([
    ['/', 'pub', '/pub'],
    ['/pub', 'file.txt', '/pub/file.txt'],
    ['/pub', '/etc/passwd', '/etc/passwd'],
    ['/pub', '', '/pub'],
    ['/pub', '.', '/pub'],
    ['/pub', '..', '/'],
    ['/pub/a/b', '../../c', '/pub/c'],
    ['/pub', '../../../../etc/passwd', '/etc/passwd'],
    ['/', '..', '/'],
    ['/', '/..', '/'],
    ['/', '../..//./..', '/'],
    ['/pub', '//double//slashes///', '/double/slashes'],
    ['/pub', './x/./y/.', '/pub/x/y'],
    ['/pub', 'a/../../..', '/'],
    ['/pub', '...', '/pub/...'],
    ['/pub', '..hidden', '/pub/..hidden'],
    ['/pub', 'a\\..\\..\\b', '/pub/a\\..\\..\\b'],
    ['/pub', ' spaced ', '/pub/ spaced '],
    ['/pub', '~', '/pub/~'],
    ['pub/', 'x', '/pub/x'],
  ])('from %j, %j is %j', (cwd, arg, expected) => {
    expect(resolvePath(cwd, arg)).toBe(expected);
  });

  test('refuses NUL bytes', () => {
    expect(() => resolvePath('/', 'a\0b')).toThrow(expect.objectContaining({ code: 'ERR_FTP_NUL_BYTE', replyCode: 501 }));
    expect(() => resolvePath('/\0', 'a')).toThrow(expect.objectContaining({ code: 'ERR_FTP_NUL_BYTE' }));
  });

  test('never leaves the root, and is idempotent', () => {
    const segment = fc.constantFrom('..', '.', '', 'a', 'b', '...', '../..');
    const pathArb = fc.array(segment, { maxLength: 12 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(pathArb, pathArb, fc.boolean(), (cwd, arg, absolute) => {
        const result = resolvePath(`/${cwd}`, absolute ? `/${arg}` : arg);
        expect(result.startsWith('/')).toBe(true);
        expect(result.split('/')).not.toContain('..');
        expect(result.split('/')).not.toContain('.');
        expect(result === '/' || !result.endsWith('/')).toBe(true);
        expect(result).not.toMatch(/\/\//);
        expect(resolvePath('/', result)).toBe(result);
      }),
      { numRuns: 500 },
    );
  });
});

describe('virtualToReal', () => {
  test.each([
    ['/srv/ftp', '/', '/srv/ftp'],
    ['/srv/ftp', '/pub/a.txt', '/srv/ftp/pub/a.txt'],
    ['/srv/ftp/', '/pub', '/srv/ftp/pub'],
    ['/srv//ftp/.', '/pub', '/srv/ftp/pub'],
    ['/srv/ftp', '/../../etc/passwd', '/srv/ftp/etc/passwd'],
    ['/srv/ftp', '../etc', '/srv/ftp/etc'],
    ['/srv/ftp', 'pub/../../..', '/srv/ftp'],
    ['/', '/etc/passwd', '/etc/passwd'],
    ['/', '/', '/'],
  ])('%j + %j is %j', (root, virtualPath, expected) => {
    expect(virtualToReal(root, virtualPath)).toBe(expected);
  });

  test('refuses a relative root and NUL bytes', () => {
    expect(() => virtualToReal('srv/ftp', '/a')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => virtualToReal('', '/a')).toThrow(TypeError);
    expect(() => virtualToReal('/srv\0', '/a')).toThrow(TypeError);
    expect(() => virtualToReal('/srv', '/a\0')).toThrow(expect.objectContaining({ code: 'ERR_FTP_NUL_BYTE' }));
  });

  test('never produces a path outside the root', () => {
    const segment = fc.constantFrom('..', '.', '', 'a', '...', 'ftp', 'ftp2');
    const pathArb = fc.array(segment, { maxLength: 12 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(pathArb, (virtualPath) => {
        const real = virtualToReal('/srv/ftp', virtualPath);
        expect(real === '/srv/ftp' || real.startsWith('/srv/ftp/')).toBe(true);
        expect(realToVirtual('/srv/ftp', real)).toBe(resolvePath('/', virtualPath));
      }),
      { numRuns: 500 },
    );
  });
});

describe('isInsideRoot and realToVirtual', () => {
  test('compares whole path components', () => {
    expect(isInsideRoot('/srv/ftp', '/srv/ftp')).toBe(true);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp/')).toBe(true);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp/pub/x')).toBe(true);
    expect(isInsideRoot('/srv/ftp/', '/srv/ftp/pub')).toBe(true);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp-other/x')).toBe(false);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp2')).toBe(false);
    expect(isInsideRoot('/srv/ftp', '/srv')).toBe(false);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp/../../etc')).toBe(false);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp/pub/../..')).toBe(false);
    expect(isInsideRoot('/srv/ftp', 'srv/ftp/x')).toBe(false);
    expect(isInsideRoot('/srv/ftp', '/srv/ftp/x\0')).toBe(false);
    expect(isInsideRoot('/', '/anything')).toBe(true);
    expect(() => isInsideRoot('relative', '/x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  test('realToVirtual', () => {
    expect(realToVirtual('/srv/ftp', '/srv/ftp')).toBe('/');
    expect(realToVirtual('/srv/ftp', '/srv/ftp/pub/a')).toBe('/pub/a');
    expect(realToVirtual('/srv/ftp', '/etc/passwd')).toBeNull();
    expect(realToVirtual('/srv/ftp', '/srv/ftp2/a')).toBeNull();
    expect(realToVirtual('/', '/etc')).toBe('/etc');
  });
});

describe('paths in 257 replies', () => {
  test('quotes are doubled', () => {
    expect(quotePathname('/pub')).toBe('"/pub"');
    expect(quotePathname('/a "b"')).toBe('"/a ""b"""');
    expect(quotePathname('')).toBe('""');
  });

  test('the client reads the path back', () => {
    expect(parsePathnameReply('"/home/anna" is the current directory')).toBe('/home/anna');
    expect(parsePathnameReply('"/a ""b""" created')).toBe('/a "b"');
    expect(parsePathnameReply('MKD command successful: "/x y"')).toBe('/x y');
    expect(parsePathnameReply('""')).toBe('');
    fc.assert(fc.property(fc.string(), (p) => {
      expect(parsePathnameReply(`${quotePathname(p)} is here`)).toBe(p);
    }));
  });

  test('a reply without a quoted path is a protocol error', () => {
    for (const text of ['/home/anna is the current directory', '"unterminated', '']) {
      expect(() => parsePathnameReply(text)).toThrow(expect.objectContaining({ code: 'ERR_FTP_PROTOCOL' }));
    }
  });
});
