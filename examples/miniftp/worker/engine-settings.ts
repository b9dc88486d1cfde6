// The session engine's settings, from miniftp's configuration and the
// identity a worker serves.
import { engineSettingsFromTable, type MiniftpConfig } from '../config-table.js';
import { sessionRateLimits } from '../config.js';
import { engineOptions, type EngineOptions } from '../session/index.js';
import { readIdNames } from './id-names.js';
import { greeting } from '../greeting.js';

/** Engine options for sessions of one kind (anonymous or not); called before the worker drops root and chroots. */
export function engineSettings(config: MiniftpConfig, anonymous: boolean): EngineOptions {
  // Each direction's rate is the smaller of its own and the session class's.
  const rates = sessionRateLimits(config, anonymous);
  return engineOptions({
    ...engineSettingsFromTable(config),
    downloadMaxRate: rates.download,
    uploadMaxRate: rates.upload,
    idNames: config.text_userdb_names && !config.hide_ids ? readIdNames() : null,
    banner: bannerOrDefault(config),
  });
}

// The file was readable when the server started; if it no longer is, the greeting falls back to ftpd_banner.
function bannerOrDefault(config: MiniftpConfig): string | null {
  try {
    return greeting(config);
  } catch {
    return config.ftpd_banner;
  }
}
