import { defineConfig } from 'vitest/config';
import { reporters } from '@weibo-login/vitest-config/reporters';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: reporters('api'),
    // bcrypt and the parallel-bind races do real work on 2 cores: generous, not tight, bounds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
