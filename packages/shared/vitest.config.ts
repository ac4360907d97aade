import { defineConfig } from 'vitest/config';
import { reporters } from '@weibo-login/vitest-config/reporters';

export default defineConfig({ test: { include: ['test/**/*.test.ts'], reporters: reporters('shared') } });
