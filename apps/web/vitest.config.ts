import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';
import { reporters } from '@weibo-login/vitest-config/reporters';

/** Component tests: views and components in happy-dom, the API replaced at src/lib/load-api.ts. */
export default defineConfig((env) =>
  mergeConfig(viteConfig(env), {
    test: {
      name: 'web',
      environment: 'happy-dom',
      include: ['test/**/*.test.ts'],
      setupFiles: ['test/support/setup.ts'],
      reporters: reporters('web'),
      restoreMocks: true,
    },
  }),
);
