// The session engine's settings, from miniftp's configuration and the
// identity a worker serves.
import type { MiniftpConfig } from '../config-table.js';
import { sessionRateLimits } from '../config.js';
import { engineOptions, type EngineOptions } from '../session/index.js';
import { readIdNames } from './id-names.js';

/** Engine options for sessions of one kind (anonymous or not); called before the worker drops root and chroots. */
export function engineSettings(config: MiniftpConfig, anonymous: boolean): EngineOptions {
  const rates = sessionRateLimits(config, anonymous);
  return engineOptions({
    banner: config.ftpd_banner,
    idleSessionTimeout: config.idle_session_timeout,
    dataConnectionTimeout: config.data_connection_timeout,
    acceptTimeout: config.accept_timeout,
    connectTimeout: config.connect_timeout,
    fileOpenMode: config.file_open_mode,
    localUmask: config.local_umask,
    anonUmask: config.anon_umask,
    writeEnable: config.write_enable,
    anonUploadEnable: config.anon_upload_enable,
    anonMkdirWriteEnable: config.anon_mkdir_write_enable,
    anonOtherWriteEnable: config.anon_other_write_enable,
    anonWorldReadableOnly: config.anon_world_readable_only,
    chownUploads: config.chown_uploads,
    anonymousEnable: config.anonymous_enable,
    localEnable: config.local_enable,
    downloadMaxRate: rates.download,
    uploadMaxRate: rates.upload,
    hideIds: config.hide_ids,
    idNames: config.text_userdb_names && !config.hide_ids ? readIdNames() : null,
    pasvEnable: config.pasv_enable,
    portEnable: config.port_enable,
    pasvAddress: config.pasv_address,
    portPromiscuous: config.port_promiscuous,
    pasvPromiscuous: config.pasv_promiscuous,
    maxLoginFails: config.max_login_fails,
    useLocaltime: config.use_localtime,
  });
}
