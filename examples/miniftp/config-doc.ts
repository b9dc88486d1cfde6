// The generated sections of docs/miniftp-config.md: the settings table, made
// from the one table of settings, and vsftpd's settings miniftp does not have
// (scripts/config-doc.mjs writes them; a test checks they are current). Pure.
import { CONFIG_TABLE, type Setting } from './config-table.js';
import { VSFTPD_SETTINGS_ABSENT } from './vsftpd-settings-absent.js';

/** The lines that enclose the generated table in the page. */
export const GENERATED_BEGIN = '<!-- settings: generated from examples/miniftp/config-table.ts by `npm run docs:config` -->';
export const GENERATED_END = '<!-- end of generated settings -->';
/** The lines that enclose the generated list of absent vsftpd settings. */
export const ABSENT_BEGIN = '<!-- absent vsftpd settings: generated from examples/miniftp/vsftpd-settings-absent.ts by `npm run docs:config` -->';
export const ABSENT_END = '<!-- end of absent vsftpd settings -->';

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

/** vsftpd's settings miniftp does not have, as one Markdown list per kind of reason. */
export function absentSettingsMarkdown(): string {
  return VSFTPD_SETTINGS_ABSENT.map((group) => [
    `**${group.title}**`,
    '',
    ...Object.entries(group.settings).map(([key, reason]) => `- \`${key}\`: ${reason}`),
  ].join('\n')).join('\n\n');
}

function withSection(page: string, beginMarker: string, endMarker: string, body: string): string {
  const begin = page.indexOf(beginMarker);
  const end = page.indexOf(endMarker);
  if (begin === -1 || end < begin) throw new Error(`the page has no "${beginMarker}" ... "${endMarker}" section`);
  return `${page.slice(0, begin + beginMarker.length)}\n${body}\n${page.slice(end)}`;
}

/**
 * `page` with the text between each pair of generated-section markers
 * replaced by the current settings table and list of absent vsftpd settings.
 * @throws Error when the page lacks either pair of markers
 */
export function withGeneratedSections(page: string): string {
  const withTable = withSection(page, GENERATED_BEGIN, GENERATED_END, settingsTableMarkdown());
  return withSection(withTable, ABSENT_BEGIN, ABSENT_END, absentSettingsMarkdown());
}
