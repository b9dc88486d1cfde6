import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes and fd tables: each test file gets its own process.
    pool: 'forks',
    // Most tests wait on servers, clients and the kernel rather than compute:
    // more files than cores at once (vitest's default is one per core less one).
    maxWorkers: 3,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in the order vitest's sequencer picks (failed and slow files
    // first, from its cache), not by name: no file depends on another's run.
    // Tests within a file run in their written order.
    sequence: { shuffle: false },
  },
});
