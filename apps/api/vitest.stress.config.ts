import { defineConfig } from 'vitest/config';
import { reporters } from '@weibo-login/vitest-config/reporters';

/**
 * `pnpm test:stress`: the slow reliability suites (database outage, shutdown under load, two
 * processes on one MySQL, Weibo faults under load, abuse under load, fuzzing). One file at a time: they measure
 * time and memory on a 2-core machine and must not compete with each other.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.stress.ts'],
    reporters: reporters('api-stress'),
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
