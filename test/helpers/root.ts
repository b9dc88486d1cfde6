// Root-only suites: skip with a printed reason when not root.
import { isRoot } from './process.js';

/** True when the suite can run; otherwise prints why it is skipped. */
export function requireRoot(suite: string): boolean {
  if (!isRoot) console.log(`skipping ${suite}: needs root (running as uid ${process.getuid?.()})`);
  return isRoot;
}
