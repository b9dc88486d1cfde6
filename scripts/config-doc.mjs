// Writes the generated sections of docs/miniftp-config.md, the settings table
// and vsftpd's settings miniftp does not have (built into dist/ first: npm run build).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { withGeneratedSections } = await import(path.join(root, 'dist/examples/miniftp/config-doc.js'));
const page = path.join(root, 'docs/miniftp-config.md');
const before = fs.readFileSync(page, 'utf8');
const after = withGeneratedSections(before);
if (after !== before) fs.writeFileSync(page, after);
console.log(after === before ? `${page} is current` : `${page} updated`);
