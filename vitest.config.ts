import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real processes and fd tables: each test file gets its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in name order (test/native before test/fd, ...): primitives first.
    sequence: { shuffle: false },
  },
});
