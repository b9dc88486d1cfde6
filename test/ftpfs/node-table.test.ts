// ftpfs's node ids for paths: given on first sight, kept until forgotten,
// moved with renames.
import { describe, expect, it } from 'vitest';
import { NodeTable, ROOT_ID } from '../../examples/ftpfs/node-table.js';

describe('NodeTable', () => {
  it('gives each path one id until the kernel forgets it', () => {
    const t = new NodeTable();
    expect(t.idOf('/')).toBe(ROOT_ID);
    const a = t.idOf('/a');
    expect(t.idOf('/a')).toBe(a);
    expect(t.pathOf(a)).toBe('/a');
    t.forget(a);
    expect(t.pathOf(a)).toBeUndefined();
    expect(t.idOf('/a')).not.toBe(a);
    t.forget(ROOT_ID);
    expect(t.pathOf(ROOT_ID)).toBe('/');
  });

  it('moves a subtree on rename, and detaches what the rename replaced', () => {
    const t = new NodeTable();
    const dir = t.idOf('/d');
    const inner = t.idOf('/d/x/y');
    const other = t.idOf('/dd');
    const replaced = t.idOf('/e');
    t.rename('/d', '/e');
    expect([t.pathOf(dir), t.pathOf(inner), t.pathOf(other)]).toEqual(['/e', '/e/x/y', '/dd']);
    expect(t.idOf('/e')).toBe(dir);
    expect(t.idOf('/e/x/y')).toBe(inner);
    // The replaced node keeps its path for the kernel's last references, but the name is no longer its.
    expect(t.pathOf(replaced)).toBe('/e');
    t.forget(replaced);
    expect(t.idOf('/e')).toBe(dir);
  });

  it('detach: a later lookup of the name gets a new id', () => {
    const t = new NodeTable();
    const a = t.idOf('/a');
    t.detach('/a');
    expect(t.pathOf(a)).toBe('/a');
    const b = t.idOf('/a');
    expect(b).not.toBe(a);
    t.forget(a);
    expect(t.idOf('/a')).toBe(b);
  });
});
