// vsftpd 3's settings that miniftp does not have, each with the reason, by
// kind of reason. docs/miniftp-config.md shows them (config-doc.ts); a test
// checks that every setting of vsftpd's manual page is here or a row of the
// settings table, and never both. Pure.

/** Why a group of vsftpd settings is absent. */
export interface AbsentSettingsGroup {
  readonly title: string;
  /** setting name -> one line saying why miniftp does not have it. */
  readonly settings: Readonly<Record<string, string>>;
}

export const VSFTPD_SETTINGS_ABSENT: readonly AbsentSettingsGroup[] = [
  {
    title: 'Not applicable to miniftp\'s process design',
    settings: {
      one_process_model: 'Runs a session in one process without a privileged parent; every miniftp session runs in a worker separated from the master and the nobody helper, always.',
      run_as_launching_user: 'miniftp must start as root to give each worker its uid, gid, groups and root; started by another user it could separate no one, so it refuses to start.',
      background: 'miniftp stays in the foreground; systemd (or another supervisor) puts it in the background and restarts it.',
      session_support: 'With pam_service_name the PAM session is always opened at login and closed when the FTP session ends; utmp and wtmp are not written (an FTP session is not a terminal login).',
      use_sendfile: 'vsftpd\'s own testing switch; miniftp decides how a download\'s bytes move (sendfile(2) for binary downloads) and has no switch for it.',
      trans_chunk_size: 'Tunes the size of vsftpd\'s rate-limited writes; miniftp\'s rate limits pace the bytes by time whatever the piece size.',
      listen_address6: 'listen_address takes IPv6 addresses as well as IPv4 ones (listen_address=:: serves both), with listen_ipv6.',
      guest_enable: 'Maps every non-anonymous login to one guest account; miniftp\'s virtual users (user_db) name, per user, the system user they run as and their root.',
      guest_username: 'The account guest_enable maps logins to; see guest_enable.',
      virtual_use_local_privs: 'Virtual users (user_db) always have local users\' rights (write_enable, local_umask, chmod_enable, ...).',
      user_sub_token: 'Builds a virtual user\'s home from a template ($USER); each user_db line names its user\'s root directory.',
    },
  },
  {
    title: 'Unsafe',
    settings: {
      ssl_sslv2: 'SSL 2 is broken (DROWN) and is not in Node\'s OpenSSL.',
      ssl_sslv3: 'SSL 3 is broken (POODLE) and prohibited by RFC 7568.',
      ssl_tlsv1: 'Allows TLS 1.0, which RFC 8996 deprecates with TLS 1.1; miniftp offers TLS 1.2 and 1.3 only (ssl_tlsv1_2, ssl_tlsv1_3).',
      dsa_cert_file: 'DSA cannot sign in TLS 1.3 and no public CA issues DSA certificates; rsa_cert_file takes the server\'s certificate.',
      dsa_private_key_file: 'The key of dsa_cert_file; rsa_private_key_file takes the server\'s key.',
      lock_upload_files: 'As vsftpd\'s own page warns, a reader holding a shared lock can starve an upload; miniftp takes no file locks.',
      setproctitle_enable: 'Would show user names and paths in every local user\'s ps output (vsftpd advises leaving it off); a session\'s activity is in the logs.',
      tilde_user_enable: 'Resolves ~user through an /etc/passwd inside the user\'s root, a file the user may have written; miniftp resolves ~ and ~/ only, to the login directory.',
    },
  },
  {
    title: 'Obsolete',
    settings: {
      tcp_wrappers: 'libwrap\'s hosts.allow and hosts.deny, dropped by OpenSSH and Fedora; filter client addresses with the firewall (nftables) or listen_address.',
      async_abor_enable: 'miniftp always finds ABOR, whether sent plainly, after Telnet IP and Synch, or as TCP urgent data, so there is nothing to enable.',
      ascii_download_enable: 'vsftpd turns ASCII mode off by default because SIZE in ASCII mode reads a whole file; miniftp always honours TYPE A (RFC 959) and counts SIZE in TYPE A for files up to 1 MiB only.',
      ascii_upload_enable: 'See ascii_download_enable: TYPE A uploads store CRLF as LF, always.',
      ssl_request_cert: 'A workaround for IBM z/OS clients; miniftp asks for a client certificate only with require_cert, so there is nothing to turn off.',
      strict_ssl_write_shutdown: 'Would fail downloads whose client does not answer with a TLS close_notify, which no FTP client does (as vsftpd\'s page says); the client checks a download\'s length itself.',
      no_log_lock: 'Works around log-lock hangs on Solaris with Veritas; miniftp runs on Linux and appends each log line with one write to an O_APPEND file, without a lock.',
    },
  },
  {
    title: 'Not provided (nothing speaks against them; not done)',
    settings: {
      delay_successful_login: 'Slows down successful logins; delay_failed_login slows down failed ones.',
      delete_failed_uploads: 'A failed upload is kept, so that the client can resume it with REST or APPE.',
      download_file: 'An allow-pattern for downloads; deny_file and download_enable cover the refusals miniftp has.',
      upload_file: 'An allow-pattern for uploads; deny_file and write_enable cover the refusals miniftp has.',
      pasv_addr_resolve: 'pasv_address takes an IPv4 address, not a host name; resolve the name when writing the file.',
    },
  },
];

/** Every absent setting's name, in the groups' order. */
export function absentSettingNames(): string[] {
  return VSFTPD_SETTINGS_ABSENT.flatMap((group) => Object.keys(group.settings));
}
