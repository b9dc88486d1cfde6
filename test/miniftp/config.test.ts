import { describe, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../examples/miniftp/config-error.js';
import { withGeneratedSections } from '../../examples/miniftp/config-doc.js';
import { CONFIG_TABLE } from '../../examples/miniftp/config-table.js';
import { defaultConfig, isConfigKey, parseConfig, sessionRateLimits, settingError, settingOrigin } from '../../examples/miniftp/config.js';

const FILE = '/etc/miniftp.conf';

function parseError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('defaultConfig', () => {
  test("vsftpd 3's defaults, listening on 127.0.0.1", () => {
    expect(defaultConfig()).toEqual({
      listen_address: '127.0.0.1', listen_port: 21, listen: true, listen_ipv6: false,
      pasv_enable: true, port_enable: true, pasv_min_port: 0, pasv_max_port: 0, pasv_address: null,
      pasv_promiscuous: false, port_promiscuous: false, connect_from_port_20: false, ftp_data_port: 20,
      max_clients: 2000, max_per_ip: 50, spare_workers: 2, upgrade_socket: null, upgrade_drain_timeout: 3600,
      accept_timeout: 60, connect_timeout: 60, idle_session_timeout: 300, data_connection_timeout: 300,
      local_umask: 0o077, anon_umask: 0o077, file_open_mode: 0o666,
      upload_max_rate: 0, download_max_rate: 0, local_max_rate: 0, anon_max_rate: 0,
      anonymous_enable: false, anon_root: null, anon_upload_enable: false, anon_mkdir_write_enable: false, anon_other_write_enable: false,
      anon_world_readable_only: true, chown_uploads: false, chown_username: 'root', chown_upload_mode: 0o600,
      local_enable: true, local_root: null, user_config_dir: null, write_enable: false, chroot_local_user: false, check_shell: true, pam_service_name: null,
      chroot_list_enable: false, chroot_list_file: '/etc/vsftpd.chroot_list',
      passwd_chroot_enable: false, allow_writeable_chroot: false, userlist_enable: false, userlist_file: '/etc/vsftpd.user_list', userlist_deny: true,
      cmds_allowed: null, cmds_denied: null, download_enable: true, dirlist_enable: true, chmod_enable: true, deny_file: null, hide_file: null,
      force_dot_files: false, ls_recurse_enable: false, mdtm_write: true, dirmessage_enable: false, message_file: '.message', banner_file: null, no_anon_password: false,
      deny_email_enable: false, banned_email_file: '/etc/vsftpd.banned_emails', secure_email_list_enable: false, email_password_file: '/etc/vsftpd.email_passwords',
      nopriv_user: 'nobody', ftp_username: 'ftp', secure_chroot_dir: '/usr/share/empty', ftpd_banner: null,
      hide_ids: false, text_userdb_names: false, use_localtime: false, user_db: null,
      delay_failed_login: 1, max_login_fails: 3, xferlog_enable: false, vsftpd_log_file: '/var/log/vsftpd.log', log_json: false,
      xferlog_std_format: false, xferlog_file: '/var/log/xferlog', dual_log_enable: false, log_ftp_protocol: false, syslog_enable: false,
      helper_uid: 65533, prelogin_uid: 65532, worker_ping_interval: 30,
      proxy_protocol_enable: false, proxy_protocol_trusted: null,
      ssl_enable: false, implicit_ssl: false, rsa_cert_file: null, rsa_private_key_file: null, ssl_tlsv1_2: true, ssl_tlsv1_3: true,
      ssl_ciphers: null, force_local_logins_ssl: true, force_local_data_ssl: true, allow_anon_ssl: false, force_anon_logins_ssl: false,
      force_anon_data_ssl: false, require_ssl_reuse: true, strict_ssl_read_eof: false, ca_certs_file: null, require_cert: false, validate_cert: false, debug_ssl: false, gate_uid: 65531,
    });
  });

  test('frozen, and every issue 6 key is in the table', () => {
    const config = defaultConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { listen_port: number }).listen_port = 1;
    }).toThrow(TypeError);
    for (const key of ['listen_address', 'listen_port', 'listen_ipv6', 'pasv_enable', 'port_enable', 'pasv_min_port', 'pasv_max_port',
      'pasv_address', 'pasv_promiscuous', 'port_promiscuous', 'connect_from_port_20', 'ftp_data_port', 'max_clients', 'max_per_ip',
      'accept_timeout', 'connect_timeout', 'idle_session_timeout', 'data_connection_timeout', 'local_umask', 'anon_umask',
      'upload_max_rate', 'download_max_rate', 'local_max_rate', 'anon_max_rate', 'anonymous_enable', 'anon_root', 'anon_upload_enable',
      'anon_mkdir_write_enable', 'local_enable', 'local_root', 'write_enable', 'chroot_local_user', 'nopriv_user', 'ftp_username',
      'secure_chroot_dir', 'ftpd_banner', 'hide_ids', 'user_db', 'delay_failed_login', 'max_login_fails', 'xferlog_enable',
      'vsftpd_log_file', 'log_json']) {
      expect(isConfigKey(key), key).toBe(true);
    }
    expect(isConfigKey('toString')).toBe(false);
    expect(isConfigKey('__proto__')).toBe(false);
  });
});

describe('parseConfig', () => {
  test('pam_service_name: a file name under /etc/pam.d', () => {
    expect(parseConfig('pam_service_name=vsftpd\n', 'f').pam_service_name).toBe('vsftpd');
    for (const bad of ['../shadow', 'a/b', '.x']) {
      expect(() => parseConfig(`pam_service_name=${bad}\n`, 'f'), bad).toThrow(`f:1: bad value "${bad}" for pam_service_name: must be a PAM service name`);
    }
  });

  test('a typical file', () => {
    const config = parseConfig([
      '# miniftp on a public address',
      'listen_address=0.0.0.0',
      'listen_port=2121',
      '',
      'anonymous_enable=YES',
      'write_enable=yes',
      'local_umask=022',
      'pasv_min_port=40000',
      'pasv_max_port=40100',
      'pasv_address=203.0.113.7',
      'ftpd_banner=Welcome to the archive = mirror',
      'download_max_rate=1048576',
      'xferlog_enable=TRUE',
      'vsftpd_log_file=-',
      'user_db=/etc/miniftp/users',
    ].join('\n'), FILE);
    expect(config).toMatchObject({
      listen_address: '0.0.0.0', listen_port: 2121, anonymous_enable: true, write_enable: true, local_umask: 0o022,
      pasv_min_port: 40000, pasv_max_port: 40100, pasv_address: '203.0.113.7', ftpd_banner: 'Welcome to the archive = mirror',
      download_max_rate: 1048576, xferlog_enable: true, vsftpd_log_file: '-', user_db: '/etc/miniftp/users',
      local_enable: true, max_clients: 2000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('an empty file gives the defaults', () => {
    expect(parseConfig('', FILE)).toEqual(defaultConfig());
    expect(parseConfig('\n# only comments\n\n', FILE)).toEqual(defaultConfig());
  });

  test('booleans in any case; YES/NO, TRUE/FALSE, 1/0', () => {
    for (const [text, value] of [['YES', true], ['yes', true], ['Yes', true], ['TRUE', true], ['true', true], ['1', true],
      ['NO', false], ['no', false], ['FALSE', false], ['False', false], ['0', false]] as const) {
      expect(parseConfig(`hide_ids=${text}`, FILE).hide_ids).toBe(value);
    }
  });

  test('whitespace: CRLF, indentation, spaces around = are accepted', () => {
    const config = parseConfig('  listen_port = 2121 \r\n\tmax_per_ip=\t5\r\n   # indented comment\r\n\uFEFF', FILE);
    expect(config.listen_port).toBe(2121);
    expect(config.max_per_ip).toBe(5);
  });

  test('a key given twice: the last line wins, as in vsftpd', () => {
    expect(parseConfig('listen_port=1000\nlisten_port=2000\n', FILE).listen_port).toBe(2000);
  });

  test('octal umasks', () => {
    expect(parseConfig('local_umask=022', FILE).local_umask).toBe(0o22);
    expect(parseConfig('local_umask=0', FILE).local_umask).toBe(0);
    expect(parseConfig('anon_umask=0777', FILE).anon_umask).toBe(0o777);
    expect(parseConfig('file_open_mode=0644', FILE).file_open_mode).toBe(0o644);
  });

  test('starts from a base configuration', () => {
    const base = parseConfig('listen_port=2121', '<built-in>');
    const config = parseConfig('write_enable=YES', FILE, base);
    expect(config).toMatchObject({ listen_port: 2121, write_enable: true });
  });

  test('listen_ipv6 makes the default listen address ::1', () => {
    expect(parseConfig('listen_ipv6=YES', FILE).listen_address).toBe('::1');
    expect(parseConfig('listen_ipv6=YES\nlisten_address=::', FILE).listen_address).toBe('::');
    expect(parseConfig('listen_address=::\nlisten_ipv6=YES', FILE).listen_address).toBe('::');
    expect(parseConfig('listen_ipv6=NO', FILE).listen_address).toBe('127.0.0.1');
  });

  test('the rate limits of a session', () => {
    expect(sessionRateLimits(defaultConfig(), false)).toEqual({ upload: 0, download: 0 });
    const config = parseConfig('upload_max_rate=1000\ndownload_max_rate=5000\nlocal_max_rate=2000\nanon_max_rate=100', FILE);
    expect(sessionRateLimits(config, false)).toEqual({ upload: 1000, download: 2000 });
    expect(sessionRateLimits(config, true)).toEqual({ upload: 100, download: 100 });
    expect(sessionRateLimits(parseConfig('local_max_rate=300', FILE), false)).toEqual({ upload: 300, download: 300 });
    expect(sessionRateLimits(parseConfig('local_max_rate=300', FILE), true)).toEqual({ upload: 0, download: 0 });
  });

  describe('errors name the file, the line and the key', () => {
    test('an unknown setting', () => {
      const err = parseError('listen_port=21\n\n# comment\nlisten_prot=21\n');
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ code: 'ERR_MINIFTP_CONFIG', file: FILE, line: 4, key: 'listen_prot' });
      expect(err.message).toBe('/etc/miniftp.conf:4: unknown setting "listen_prot"');
    });

    test('keys are case-sensitive; vsftpd settings miniftp does not have are unknown', () => {
      expect(parseError('Listen_Port=21').message).toBe('/etc/miniftp.conf:1: unknown setting "Listen_Port"');
      expect(parseError('ssl_sslv3=YES').message).toBe('/etc/miniftp.conf:1: unknown setting "ssl_sslv3"');
      expect(parseError('__proto__=1').message).toBe('/etc/miniftp.conf:1: unknown setting "__proto__"');
    });

    test.each([
      ['listen_port=abc', 'bad value "abc" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=65536', 'bad value "65536" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=-1', 'bad value "-1" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=21.5', 'bad value "21.5" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=1e3', 'bad value "1e3" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=0x15', 'bad value "0x15" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=99999999999999999999', 'bad value "99999999999999999999" for listen_port: must be a decimal integer 0..65535'],
      ['listen_port=021', 'bad value "021" for listen_port: must be a decimal integer 0..65535; a leading 0 would make vsftpd read it as octal'],
      ['ftp_data_port=0', 'bad value "0" for ftp_data_port: must be a decimal integer 1..65535'],
      ['max_login_fails=0', 'bad value "0" for max_login_fails: must be a decimal integer 1..1000'],
      ['idle_session_timeout=3000000', 'bad value "3000000" for idle_session_timeout: must be a decimal integer 0..2147483'],
      ['hide_ids=maybe', 'bad value "maybe" for hide_ids: must be YES or NO (or TRUE/FALSE, 1/0)'],
      ['hide_ids=Y', 'bad value "Y" for hide_ids: must be YES or NO (or TRUE/FALSE, 1/0)'],
      ['local_umask=22', 'bad value "22" for local_umask: must be octal, written with a leading 0 (as 022); vsftpd would read 22 as decimal'],
      ['local_umask=089', 'bad value "089" for local_umask: must be an octal number 0..0777, as 022'],
      ['local_umask=01777', 'bad value "01777" for local_umask: must be an octal number 0..0777'],
      ['local_umask=8', 'bad value "8" for local_umask: must be an octal number 0..0777, as 022'],
      ['local_umask=-022', 'bad value "-022" for local_umask: must be an octal number 0..0777, as 022'],
      ['listen_address=localhost', 'bad value "localhost" for listen_address: must be an IPv4 or IPv6 address'],
      ['listen_address=1.2.3.256', 'bad value "1.2.3.256" for listen_address: must be an IPv4 or IPv6 address'],
      ['pasv_address=::1', 'bad value "::1" for pasv_address: must be an IPv4 address (PASV replies carry only IPv4)'],
      ['pasv_address=::ffff:1.2.3.4', 'bad value "::ffff:1.2.3.4" for pasv_address: must be an IPv4 address (PASV replies carry only IPv4)'],
      ['anon_root=srv/ftp', 'bad value "srv/ftp" for anon_root: must be an absolute path'],
      ['local_root=/srv/../etc', 'bad value "/srv/../etc" for local_root: must not contain . or .. parts'],
      ['secure_chroot_dir=relative', 'bad value "relative" for secure_chroot_dir: must be an absolute path'],
      ['vsftpd_log_file=log.txt', 'bad value "log.txt" for vsftpd_log_file: must be an absolute path'],
      ['nopriv_user=no body', 'bad value "no body" for nopriv_user: must be a user name (letters, digits, _ and -, at most 32)'],
      ['ftp_username=root;rm', 'bad value "root;rm" for ftp_username: must be a user name (letters, digits, _ and -, at most 32)'],
      ['ftpd_banner=a\u0007b', 'bad value "a\\u0007b" for ftpd_banner: must not contain control characters'],
      ['user_db=/etc/users\u0000x', 'bad value "/etc/users\\u0000x" for user_db: must not contain NUL bytes'],
      ['anon_root=', 'bad value "" for anon_root: a value is required'],
      ['listen_port=', 'bad value "" for listen_port: a value is required'],
    ])('%j', (line, message) => {
      const err = parseError(`# header\n${line}\n`);
      expect(err).toMatchObject({ code: 'ERR_MINIFTP_CONFIG', line: 2, key: line.slice(0, line.indexOf('=')) });
      expect(err.message).toBe(`${FILE}:2: ${message}`);
    });

    test('a line without =', () => {
      expect(parseError('listen_port 21').message).toBe('/etc/miniftp.conf:1: expected key=value, got "listen_port 21"');
      expect(parseError('=YES').message).toBe('/etc/miniftp.conf:1: unknown setting ""');
    });

    test('gate_uid differs from helper_uid and prelogin_uid', () => {
      expect(parseError('gate_uid=65533').message)
        .toBe('/etc/miniftp.conf:1: bad value "65533" for gate_uid: helper_uid and gate_uid must differ: each role has an id of its own');
      expect(parseError('gate_uid=4000\nprelogin_uid=4000')).toMatchObject({ line: 2, key: 'prelogin_uid' });
    });

    test('TLS settings that cannot go together', () => {
      expect(parseError('implicit_ssl=YES').message).toBe('/etc/miniftp.conf:1: bad value "YES" for implicit_ssl: implicit_ssl needs ssl_enable=YES');
      expect(parseError('ssl_tlsv1_2=NO\nssl_tlsv1_3=NO').message)
        .toBe('/etc/miniftp.conf:2: bad value "NO" for ssl_tlsv1_3: ssl_tlsv1_2 and ssl_tlsv1_3 cannot both be NO: no TLS version would be left');
      expect(parseError('ssl_ciphers=HIGH;rm').message).toMatch(/^\/etc\/miniftp\.conf:1: bad value "HIGH;rm" for ssl_ciphers: must be an OpenSSL cipher list/);
    });

    test('PROXY protocol: trusted balancers are CIDR blocks, required when enabled', () => {
      expect(parseError('proxy_protocol_enable=YES').message)
        .toBe('/etc/miniftp.conf:1: bad value "YES" for proxy_protocol_enable: proxy_protocol_enable needs proxy_protocol_trusted (the load balancers\' addresses)');
      expect(parseError('proxy_protocol_trusted=10.0.0.0/8, 10.1.2.300/32').message)
        .toBe('/etc/miniftp.conf:1: bad value "10.0.0.0/8, 10.1.2.300/32" for proxy_protocol_trusted: "10.1.2.300/32" is not a CIDR block (a.b.c.d/0..32 or an IPv6 address/0..128)');
      for (const bad of ['10.0.0.0/33', '::1/129', '10.0.0.0/08', 'fe80::1%lo/128', '10.0.0.0/8,', 'lb.example.com', '10.0.0.0/8/1']) {
        expect(parseError(`proxy_protocol_trusted=${bad}`), bad).toMatchObject({ key: 'proxy_protocol_trusted' });
      }
      const config = parseConfig('proxy_protocol_enable=YES\nproxy_protocol_trusted=10.0.0.0/8,::1,2001:db8::/32\n', FILE);
      expect(config.proxy_protocol_trusted).toBe('10.0.0.0/8,::1,2001:db8::/32');
    });

    test('helper_uid and prelogin_uid must differ', () => {
      expect(parseError('helper_uid=4000\nprelogin_uid=4000').message)
        .toBe('/etc/miniftp.conf:2: bad value "4000" for prelogin_uid: helper_uid and prelogin_uid must differ: each role has an id of its own');
      expect(parseError('helper_uid=65532')).toMatchObject({ line: 1, key: 'helper_uid' });
    });

    test('passive ports checked together', () => {
      expect(parseError('pasv_min_port=50000\npasv_max_port=40000').message)
        .toBe('/etc/miniftp.conf:2: bad value "40000" for pasv_max_port: pasv_min_port (50000) must not be above pasv_max_port (40000)');
      expect(parseError('pasv_max_port=40000\npasv_min_port=50000')).toMatchObject({ line: 2, key: 'pasv_min_port' });
      expect(parseError('pasv_min_port=21').message).toBe('/etc/miniftp.conf:1: bad value "21" for pasv_min_port: must be 0 or 1024..65535');
      expect(parseConfig('pasv_min_port=50000', FILE)).toMatchObject({ pasv_min_port: 50000, pasv_max_port: 0 });
      expect(parseConfig('pasv_min_port=50000\npasv_max_port=50000', FILE).pasv_max_port).toBe(50000);
    });

    test('an IPv4 listen_address with listen_ipv6', () => {
      expect(parseError('listen_ipv6=YES\n\nlisten_address=0.0.0.0').message)
        .toBe('/etc/miniftp.conf:3: bad value "0.0.0.0" for listen_address: listen_ipv6=YES needs an IPv6 address (:: for all)');
    });

    test('listen and listen_ipv6 as vsftpd: one of them, not both written YES', () => {
      expect(parseError('listen=NO').message).toBe('/etc/miniftp.conf:1: bad value "NO" for listen: listen and listen_ipv6 cannot both be NO: miniftp always runs standalone (it has no inetd mode)');
      expect(parseError('listen=YES\nlisten_ipv6=YES').message).toMatch(/^\/etc\/miniftp.conf:1: bad value "YES" for listen: listen=YES and listen_ipv6=YES cannot both be set/);
      const stock = parseConfig('listen=NO\nlisten_ipv6=YES\n', '/etc/vsftpd.conf');
      expect([stock.listen, stock.listen_ipv6, stock.listen_address]).toEqual([false, true, '::1']);
      expect(parseConfig('listen_ipv6=YES\n', 'f').listen_address).toBe('::1');
    });

    test('a huge file of junk fails at its first line, quoting at most 80 characters', () => {
      const err = parseError(`${'x'.repeat(100_000)}\n`.repeat(10));
      expect(err.line).toBe(1);
      expect(err.message.length).toBeLessThan(200);
    });
  });
});

describe('settingOrigin and settingError', () => {
  test('name the line that set a key, through -o style overrides, or say it is the default', () => {
    const file = parseConfig('# users\nnopriv_user=helper\nftp_username=anon\n', FILE);
    const config = parseConfig('ftp_username=other', 'command line option 1', file);
    expect(settingOrigin(config, 'nopriv_user')).toEqual({ file: FILE, line: 2 });
    expect(settingOrigin(config, 'ftp_username')).toEqual({ file: 'command line option 1', line: 1 });
    expect(settingOrigin(config, 'listen_port')).toBeNull();
    expect(settingOrigin(defaultConfig(), 'nopriv_user')).toBeNull();
    expect(settingError(config, 'nopriv_user', 'no such user')).toMatchObject({
      code: 'ERR_MINIFTP_CONFIG', file: FILE, line: 2, key: 'nopriv_user',
      message: '/etc/miniftp.conf:2: bad value "helper" for nopriv_user: no such user',
    });
    expect(settingError(config, 'secure_chroot_dir', 'not there').message)
      .toBe('default settings: bad value "/usr/share/empty" for secure_chroot_dir (the default): not there');
  });
});

describe('docs/miniftp-config.md', () => {
  test('its settings table and list of absent vsftpd settings are the generated ones (npm run docs:config)', () => {
    const doc = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/miniftp-config.md'), 'utf8');
    expect(withGeneratedSections(doc)).toBe(doc);
    for (const key of Object.keys(CONFIG_TABLE)) expect(doc).toContain(`| \`${key}\` |`);
  });
});
