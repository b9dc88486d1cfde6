// The 220 greeting: banner_file's text when set (read as root, at start to
// check it and when each worker starts), else ftpd_banner.
import { settingError } from './config.js';
import type { MiniftpConfig } from './config-table.js';
import { messageLines, readMessageFileSync } from './session/message-text.js';

/**
 * The greeting's text (lines joined by LF), or null for the engine's own.
 * @throws ConfigError naming banner_file when it cannot be read
 */
export function greeting(config: MiniftpConfig): string | null {
  if (config.banner_file === null) return config.ftpd_banner;
  try {
    return messageLines(readMessageFileSync(config.banner_file)).join('\n');
  } catch (err) {
    throw settingError(config, 'banner_file', `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
