// The settings table of docs/miniftp-config.md, made from the one table of
// settings (scripts/config-doc.mjs writes it; a test checks it is current).
// Pure.
import { CONFIG_TABLE, type Setting } from './config-table.js';

/** The lines that enclose the generated table in the page. */
export const GENERATED_BEGIN = '<!-- settings: generated from examples/miniftp/config-table.ts by `npm run docs:config` -->';
export const GENERATED_END = '<!-- end of generated settings -->';

function shownDefault(setting: Setting): string {
  if (setting.default === null) return '(unset)';
  const text = setting.type === 'bool' ? (setting.default ? 'YES' : 'NO')
    : setting.type === 'octal' ? `0${setting.default.toString(8).padStart(2, '0')}`
    : String(setting.default);
  return `\`${text}\``;
}

function limits(setting: Setting): string {
  if (setting.type === 'int') return ` Range ${setting.min}..${setting.max}.`;
  if (setting.type === 'octal') return ` At most 0${setting.max.toString(8)}.`;
  return '';
}

/** The Markdown table of every setting: key, type, default and meaning, in the table's order. */
export function settingsTableMarkdown(): string {
  const rows = (Object.entries(CONFIG_TABLE) as Array<[string, Setting]>).map(([key, setting]) =>
    `| \`${key}\` | ${setting.type} | ${shownDefault(setting)} | ${setting.doc.replaceAll('|', '\\|')}${limits(setting)} |`);
  return ['| key | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * `page` with the text between the generated-table markers replaced by the
 * current table.
 * @throws Error when the page lacks the markers
 */
export function withSettingsTable(page: string): string {
  const begin = page.indexOf(GENERATED_BEGIN);
  const end = page.indexOf(GENERATED_END);
  if (begin === -1 || end < begin) throw new Error(`the page has no "${GENERATED_BEGIN}" ... "${GENERATED_END}" section`);
  return `${page.slice(0, begin + GENERATED_BEGIN.length)}\n${settingsTableMarkdown()}\n${page.slice(end)}`;
}
