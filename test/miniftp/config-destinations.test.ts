// Every row of miniftp's table of settings reaches the process that reads
// it, with its default and with any other value: the engine's options (made
// in each worker), the helper's settings (sent by the master), or the
// master's own code. A new row that nothing reads fails here.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CONFIG_TABLE, helperSettings, type ConfigKey, type Setting } from '../../examples/miniftp/config-table.js';
import { defaultConfig, parseConfig } from '../../examples/miniftp/config.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../examples/miniftp/session/index.js';
import { engineSettings } from '../../examples/miniftp/worker/engine-settings.js';

const rows = Object.entries(CONFIG_TABLE) as Array<[ConfigKey, Setting]>;
const miniftpDir = path.resolve(import.meta.dirname, '../../examples/miniftp');

/** Values for settings whose valid values a rule cannot guess. */
const EXAMPLES: Partial<Record<ConfigKey, { text: string; value: unknown }>> = {
  ftpd_banner: { text: 'Welcome', value: 'Welcome' },
  pasv_address: { text: '192.0.2.7', value: '192.0.2.7' },
  pasv_min_port: { text: '40000', value: 40_000 },
  pasv_max_port: { text: '40100', value: 40_100 },
  cmds_allowed: { text: 'PASV,RETR,QUIT', value: 'PASV,RETR,QUIT' },
  cmds_denied: { text: 'DELE,RMD', value: 'DELE,RMD' },
  deny_file: { text: '{*.mp3,*.mov,.private}', value: '{*.mp3,*.mov,.private}' },
  message_file: { text: 'README', value: 'README' },
  hide_file: { text: '{*.mp3,.hidden,hide*,h?}', value: '{*.mp3,.hidden,hide*,h?}' },
  proxy_protocol_trusted: { text: '192.0.2.0/24,2001:db8::/32', value: '192.0.2.0/24,2001:db8::/32' },
};

/** The lines a setting needs beside it to be valid. */
const COMPANIONS: Partial<Record<ConfigKey, string>> = {
  proxy_protocol_enable: 'proxy_protocol_trusted=192.0.2.0/24\n',
};

/** A valid value other than the default, as a configuration line writes it, and as the config holds it. */
function otherValue(key: ConfigKey, setting: Setting): { text: string; value: unknown } {
  const example = EXAMPLES[key];
  if (example) return example;
  switch (setting.type) {
    case 'bool': return { text: setting.default ? 'NO' : 'YES', value: !setting.default };
    case 'int': {
      const value = setting.default < setting.max ? setting.default + 1 : setting.default - 1;
      return { text: String(value), value };
    }
    case 'octal': {
      const value = setting.default === 0o022 ? 0o027 : 0o022;
      return { text: `0${value.toString(8)}`, value };
    }
    case 'string': throw new Error(`no test value for the string setting ${key}: add one to EXAMPLES`);
  }
}

/** Every source file of miniftp but the table itself. */
function miniftpSources(): string {
  return fs.readdirSync(miniftpDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && name !== 'config-table.ts')
    .map((name) => fs.readFileSync(path.join(miniftpDir, name), 'utf8'))
    .join('\n');
}

describe('the table of settings reaches every process', () => {
  const engineRows = rows.filter(([, s]) => s.engine !== undefined);
  const helperRows = rows.filter(([, s]) => s.helper !== undefined);

  test('the engine\'s defaults are the table\'s', () => {
    expect(engineRows.length).toBeGreaterThan(20);
    const fromDefaults = engineSettings(defaultConfig(), false);
    for (const [key, setting] of engineRows) {
      expect(DEFAULT_ENGINE_OPTIONS[setting.engine as keyof typeof DEFAULT_ENGINE_OPTIONS], key).toBe(setting.default);
      expect(fromDefaults[setting.engine as keyof typeof fromDefaults], key).toBe(setting.default);
    }
  });

  test.each(engineRows)('%s reaches the engine\'s options when set', (key, setting) => {
    const { text, value } = otherValue(key, setting);
    const options = engineSettings(parseConfig(`${key}=${text}\n`, 'test.conf'), false);
    expect(options[setting.engine as keyof typeof options]).toBe(value);
  });

  test('the helper\'s settings are the table\'s, default or set', () => {
    expect(helperRows.length).toBeGreaterThan(5);
    const defaults = helperSettings(defaultConfig());
    for (const [key, setting] of helperRows) {
      expect(defaults[setting.helper as keyof typeof defaults], key).toBe(setting.default);
      const { text, value } = otherValue(key, setting);
      const set = helperSettings(parseConfig(`${COMPANIONS[key] ?? ''}${key}=${text}\n`, 'test.conf'));
      expect(set[setting.helper as keyof typeof set], key).toBe(value);
    }
  });

  test('every other setting is read by the master\'s code', () => {
    const sources = miniftpSources();
    // Accepted so that vsftpd's files start miniftp, with no effect (docs/miniftp-config.md, "Writable roots").
    const noEffect = new Set(['allow_writeable_chroot']);
    for (const [key, setting] of rows) {
      if (setting.engine !== undefined || setting.helper !== undefined || noEffect.has(key)) continue;
      expect(sources, `nothing reads ${key}`).toMatch(new RegExp(`\\.${key}\\b|'${key}'`));
    }
  });
});
