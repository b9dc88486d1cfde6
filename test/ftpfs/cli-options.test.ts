// ftpfs's command line, parsed on literal arguments.
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../examples/ftpfs/cli-options.js';

describe('parseCli', () => {
  it('reads the URL and the defaults', () => {
    expect(parseCli(['ftp://alice:s%40cret@ftp.example.org:2121/pub/linux', '/mnt/ftp'])).toEqual({
      secure: false, caFile: null, insecure: false, host: 'ftp.example.org', port: 2121, user: 'alice', password: 's@cret', remotePath: 'pub/linux',
      mountpoint: '/mnt/ftp', cacheDir: null, cacheSizeMiB: 2048, unmountWaitSeconds: 10, dirTtlSeconds: 10, readOnly: false, allowOther: false,
      connections: 4, timeoutSeconds: 30, dataMode: 'passive', help: false, version: false,
    });
  });

  it('anonymous by default, port 21, the login directory, IPv6 hosts', () => {
    expect(parseCli(['ftp://[::1]', 'm'])).toMatchObject({ host: '::1', port: 21, user: 'anonymous', password: 'anonymous@', remotePath: '' });
  });

  it('an absolute remote path is written with %2F', () => {
    expect(parseCli(['ftp://h/%2Fsrv/ftp', 'm']).remotePath).toBe('/srv/ftp');
  });

  it('takes the password from FTPFS_PASSWORD when the URL has none', () => {
    expect(parseCli(['ftp://bob@h/', 'm'], { FTPFS_PASSWORD: 'pw' }).password).toBe('pw');
    expect(parseCli(['ftp://bob:url@h/', 'm'], { FTPFS_PASSWORD: 'pw' }).password).toBe('url');
  });

  it('ftpes:// is FTP over TLS by AUTH TLS (port 21), ftps:// TLS from the first byte (port 990)', () => {
    expect(parseCli(['ftpes://alice:pw@FTP.Example.org/pub', 'm'])).toMatchObject({
      secure: 'explicit', host: 'ftp.example.org', port: 21, user: 'alice', password: 'pw', remotePath: 'pub', caFile: null, insecure: false,
    });
    expect(parseCli(['ftps://[::1]', 'm'])).toMatchObject({ secure: 'implicit', host: '::1', port: 990, user: 'anonymous', remotePath: '' });
    expect(parseCli(['ftps://h:2990/%2Fsrv', 'm', '--ca-file', '/etc/ca.pem'])).toMatchObject({ port: 2990, remotePath: '/srv', caFile: '/etc/ca.pem' });
    expect(parseCli(['ftpes://h/', 'm', '--insecure']).insecure).toBe(true);
  });

  it('reads the options', () => {
    expect(parseCli(['ftp://h/', 'm', '--cache-dir', '/var/cache/x', '--cache-size', '100', '--dir-ttl', '0.5', '--read-only', '--foreground',
      '--connections', '2', '--timeout', '5', '--active', '--allow-other', '--unmount-wait', '2.5'])).toMatchObject({
      cacheDir: '/var/cache/x', cacheSizeMiB: 100, unmountWaitSeconds: 2.5, dirTtlSeconds: 0.5, readOnly: true, connections: 2, timeoutSeconds: 5, dataMode: 'active', allowOther: true,
    });
    expect(parseCli(['--help']).help).toBe(true);
  });

  it.each([
    [['ftp://h/'], /two arguments/],
    [['http://h/', 'm'], /only ftp:\/\/, ftpes:\/\/ and ftps:\/\/ URLs/],
    [['sftp://h/', 'm'], /not sftp:\/\//],
    [['ftp://h/', 'm', '--insecure'], /--insecure is for TLS/],
    [['ftp://h/', 'm', '--ca-file', 'ca.pem'], /--ca-file is for TLS/],
    [['ftpes://h/', 'm', '--ca-file', 'ca.pem', '--insecure'], /exclude each other/],
    [['not a url', 'm'], /not a URL/],
    [['ftp://h/?x=1', 'm'], /query/],
    [['ftp://h/%E0', 'm'], /percent-encoding/],
    [['ftp://h/', 'm', '--dir-ttl', '-1'], /--dir-ttl/],
    [['ftp://h/', 'm', '--connections', '0'], /--connections/],
    [['ftp://h/', 'm', '--unmount-wait', '-1'], /--unmount-wait/],
    [['ftp://h/', 'm', '--connections', '1.5'], /--connections/],
    [['ftp://h/', 'm', '--nope'], /Unknown option/],
  ])('refuses %j', (args, message) => {
    expect(() => parseCli(args)).toThrow(message);
  });
});
