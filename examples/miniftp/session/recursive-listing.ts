// LIST -R with ls_recurse_enable: `ls -lR` output, one section per
// directory ("path:" and its lines, a blank line between), walked depth
// first without following symbolic links. Every directory is read before
// the 150, within the engine's bounds (entries in all, depth below the
// listed directory); a walk cut short says so in the 226. Runs in a worker.
import path from 'node:path';
import { isDirectoryMode } from '../../ftp/index.js';
import { statNames, statedEntries, TooManyEntriesError, type NamesRead, type StatedEntry } from './directory-listing.js';
import { pathDenied } from './policy.js';
import type { SessionContext } from './session-context.js';

interface Section {
  header: string;
  entries: StatedEntry[];
}

/** The directories of a recursive listing, read; `cut` says why it stops early. */
export interface Tree {
  sections: Section[];
  cut: string | null;
}

interface Pending {
  header: string;
  view: string;
  real: string;
  depth: number;
}

/**
 * Reads the tree under a directory. `names(real)` gives the names to show in
 * one directory (hide_file and dotfile rules applied), with the directory as read.
 */
export async function readTree(ctx: SessionContext, top: { header: string; view: string; real: string }, names: (real: string) => Promise<NamesRead>): Promise<Tree> {
  const { maxRecursiveEntries: maxEntries, maxRecursiveDepth: maxDepth } = ctx.options;
  const sections: Section[] = [];
  const stack: Pending[] = [{ ...top, depth: 0 }];
  let total = 0;
  let cut: string | null = null;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let shown: NamesRead;
    try {
      shown = await names(dir.real);
    } catch (err) {
      if (!(err instanceof TooManyEntriesError)) continue;
      cut = `${dir.header} has more than ${ctx.options.maxListingEntries} entries`;
      break;
    }
    if (total + shown.names.length > maxEntries) {
      cut = `the listing was cut at ${maxEntries} entries; list a subdirectory`;
      break;
    }
    total += shown.names.length;
    const entries = statedEntries(await statNames(dir.real, shown.names, dir.view === '/', shown.read));
    sections.push({ header: dir.header, entries });
    const subdirectories = entries.filter((entry) => entry.name !== '.' && entry.name !== '..' && isDirectoryMode(entry.stats.mode)
      && !pathDenied(ctx.options, path.posix.join(dir.view, entry.name)));
    if (subdirectories.length > 0 && dir.depth >= maxDepth) {
      cut ??= `the listing was cut at ${maxDepth} levels of subdirectories; list a subdirectory`;
      continue;
    }
    // Pushed last to first, so that they come off the stack in order.
    for (const entry of subdirectories.reverse()) {
      stack.push({
        header: `${dir.header}/${entry.name}`,
        view: path.posix.join(dir.view, entry.name),
        real: path.join(dir.real, entry.name),
        depth: dir.depth + 1,
      });
    }
  }
  return { sections, cut };
}

/** The tree's text, a section at a time, each entry as `line` writes it. */
export async function* treeLines(tree: Tree, line: (entry: StatedEntry) => string): AsyncGenerator<string> {
  for (const [i, section] of tree.sections.entries()) {
    let out = `${i === 0 ? '' : '\r\n'}${section.header}:\r\n`;
    for (const entry of section.entries) out += line(entry) + '\r\n';
    yield out;
  }
}
