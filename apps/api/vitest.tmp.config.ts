import { defineConfig } from 'vitest/config';
import { reporters } from '../../vitest.reporters.ts';

/**
 * `pnpm test:stress`: the slow reliability suites (database outage, shutdown under load, two
 * processes on one MySQL, Weibo faults under load, fuzzing). One file at a time: they measure
 * time and memory on a 2-core machine and must not compete with each other.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.stress.ts'],
    // Not yet run in CI: it fails on three findings of its own (issue 9's closing note): new-account
    // hashes starve sign-in checks of threads, a lock-out burst queues ahead of the owner's check,
    // and the process's RSS passes 200 MB under attack. Run it by name until those are fixed.
    reporters: reporters('api-stress'),
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
