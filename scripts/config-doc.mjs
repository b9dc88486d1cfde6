// Writes the settings table of docs/miniftp-config.md from miniftp's table
// of settings (built into dist/ first: npm run build).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { withSettingsTable } = await import(path.join(root, 'dist/examples/miniftp/config-doc.js'));
const page = path.join(root, 'docs/miniftp-config.md');
const before = fs.readFileSync(page, 'utf8');
const after = withSettingsTable(before);
if (after !== before) fs.writeFileSync(page, after);
console.log(after === before ? `${page} is current` : `${page} updated`);
