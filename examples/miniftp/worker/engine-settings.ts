// The session engine's settings, from miniftp's configuration and the
// identity a worker serves.
import type { MiniftpConfig } from '../config-table.js';
import { sessionRateLimits } from '../config.js';
import { engineOptions, type EngineOptions } from '../session/index.js';

/** Engine options for sessions of one kind (anonymous or not). */
export function engineSettings(config: MiniftpConfig, anonymous: boolean): EngineOptions {
  const rates = sessionRateLimits(config, anonymous);
  return engineOptions({
    banner: config.ftpd_banner,
    idleSessionTimeout: config.idle_session_timeout,
    dataConnectionTimeout: config.data_connection_timeout,
    acceptTimeout: config.accept_timeout,
    connectTimeout: config.connect_timeout,
    localUmask: config.local_umask,
    anonUmask: config.anon_umask,
    writeEnable: config.write_enable,
    anonUploadEnable: config.anon_upload_enable,
    anonMkdirWriteEnable: config.anon_mkdir_write_enable,
    anonOtherWriteEnable: config.anon_other_write_enable,
    anonymousEnable: config.anonymous_enable,
    localEnable: config.local_enable,
    downloadMaxRate: rates.download,
    uploadMaxRate: rates.upload,
    hideIds: config.hide_ids,
    pasvEnable: config.pasv_enable,
    portEnable: config.port_enable,
    pasvAddress: config.pasv_address,
    portPromiscuous: config.port_promiscuous,
    pasvPromiscuous: config.pasv_promiscuous,
    maxLoginFails: config.max_login_fails,
    useLocaltime: config.use_localtime,
  });
}
