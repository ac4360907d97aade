/** The simulator as a program (`pnpm --filter @weibo-login/weibo-sim start`), for @weibo-login/test-support's launcher. */
import { fileURLToPath } from 'node:url';

export const SIMULATOR_PROGRAM = {
  name: 'weibo-sim',
  main: fileURLToPath(new URL('./main.ts', import.meta.url)),
  portVariable: 'WEIBO_SIM_PORT',
  hostVariable: 'WEIBO_SIM_HOST',
  healthPath: '/__sim/stats',
} as const;
