import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Files that start real processes and wait on elections, heartbeats and
// keepalives run one at a time, after the rest: two of them at once on two
// cores starve each other's heartbeats. The in-process files (CPU-bound, no
// timing) run two at a time, one per core, and with them the process files
// whose checks are about commands and reports, not about elections or
// failover (CLI output, start-up, a report's consistency).
const besideOthers = ['cli', 'bench', 'npmStart', 'compiled', 'gm', 'nativeFree', 'configUpdateFabric'];
const oneAtATime = [
  ...readdirSync(new URL('test/e2e', import.meta.url))
    .filter((file) => file.endsWith('.e2e.test.ts') && !besideOthers.includes(file.slice(0, -'.e2e.test.ts'.length)))
    .map((file) => `test/e2e/${file}`),
  'test/cluster/processFaults.test.ts',
];

export default defineConfig({
  test: {
    // Real processes and fsync-heavy storage tests share two cores; keep the
    // default timeout generous but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // dist/ compiled once: the e2e tests run their orderer processes from it.
    globalSetup: ['test/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'two-at-a-time',
          include: ['test/**/*.test.ts'],
          exclude: oneAtATime,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'one-at-a-time',
          include: oneAtATime,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
