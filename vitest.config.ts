import { defineConfig } from 'vitest/config';

// Files that start real processes and wait on elections, heartbeats and
// keepalives run one at a time, after the rest: two of them at once on two
// cores starve each other's heartbeats. The in-process files (CPU-bound, no
// timing) run two at a time, one per core.
const oneAtATime = ['test/e2e/**/*.test.ts', 'test/cluster/processFaults.test.ts'];

export default defineConfig({
  test: {
    // Real processes and fsync-heavy storage tests share two cores; keep the
    // default timeout generous but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'in-process', include: ['test/**/*.test.ts'], exclude: oneAtATime, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'processes', include: oneAtATime, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
