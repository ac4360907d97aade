import { reporters } from '@weibo-login/vitest-config/reporters';
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['test/**/*.test.ts'], reporters: reporters('lint-config') } });
