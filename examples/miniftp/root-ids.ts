// The rule for every identity a miniftp process other than the master takes
// (the workers of local, virtual and anonymous users, the helper, the
// pre-login workers): never uid 0, never group 0 as primary group, whatever
// the account is called. Checked at start, at login and at spawn; pure.

/** Why a process must not run with these ids, or null when it may. */
export function rootIdsReason(ids: { readonly uid: number; readonly gid: number }): string | null {
  if (ids.uid === 0) return 'the account has uid 0 (root)';
  if (ids.gid === 0) return 'the account has primary group 0 (root)';
  return null;
}
