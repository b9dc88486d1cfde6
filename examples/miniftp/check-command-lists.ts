// Start-up check of cmds_allowed and cmds_denied: every name must be a
// command miniftp knows, so that a misspelt name (RETRR) stops the start
// instead of silently allowing or denying nothing.
import { settingError } from './config.js';
import type { MiniftpConfig } from './config-table.js';
import { lookupCommand } from './session/index.js';

/** @throws ConfigError naming the setting's file and line and the unknown command */
export function checkCommandLists(config: MiniftpConfig): void {
  for (const key of ['cmds_allowed', 'cmds_denied'] as const) {
    const list = config[key];
    if (list === null) continue;
    const unknown = list.split(',').find((verb) => lookupCommand(verb.toUpperCase()) === undefined);
    if (unknown !== undefined) throw settingError(config, key, `${unknown} is not a command miniftp knows`);
  }
}
