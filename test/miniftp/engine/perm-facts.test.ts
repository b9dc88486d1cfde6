// PermFacts: permFact worked out once per mode and relation, the same facts.
import { describe, expect, it } from 'vitest';
import { PermFacts, permFact, type EntryStats } from '../../../examples/miniftp/session/directory-listing.js';

describe('PermFacts', () => {
  it('gives what permFact gives, for owners, groups, others and root, writable or not', () => {
    const modes = [0o100644, 0o100600, 0o100060, 0o100006, 0o040755, 0o040700, 0o040070, 0o040007, 0o120777, 0o100000];
    const owners = [[1000, 100], [1000, 200], [2000, 100], [2000, 300]];
    for (const ids of [{ uid: 1000, gids: new Set([100]) }, { uid: 0, gids: new Set([0]) }]) {
      for (const writable of [true, false]) {
        const cached = new PermFacts(writable, ids);
        // Twice over: the second pass comes from the cache.
        for (let pass = 0; pass < 2; pass++) {
          for (const mode of modes) {
            for (const [uid, gid] of owners) {
              const stats: EntryStats = { mode, nlink: 1, uid: uid!, gid: gid!, size: 0, mtimeMs: 0 };
              expect(cached.of(stats), `${mode.toString(8)} ${uid}:${gid}`).toBe(permFact(stats, writable, ids));
            }
          }
        }
      }
    }
  });
});
