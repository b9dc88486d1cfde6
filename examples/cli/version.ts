// What every command prints for --version: the package's name and version,
// from the nearest package.json above this file (the source tree's or the
// installed package's; dist/ adds a level).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5; level++, dir = path.dirname(dir)) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      continue;
    }
    const { name, version } = JSON.parse(text) as { name?: string; version?: string };
    if (name && version) return `${name} ${version}`;
  }
  return 'privsep (version unknown)';
}
