import { defineConfig } from 'vitest/config';
import { reporters } from '@weibo-login/vitest-config/reporters';

/** The browser suite: the built app, the API and the Weibo simulator, driven through Chromium. */
export default defineConfig({
  test: {
    name: 'web-e2e',
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/support/global-setup.ts'],
    reporters: reporters('web-e2e'),
    // One Chromium at a time on a 2-core machine; scenarios wait for events, never for the clock.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
