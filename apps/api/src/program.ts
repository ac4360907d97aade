/**
 * The API as a program, as `pnpm start` runs it: its entry, node's flags and environment (the
 * bounds of limits/bounds.ts), its port variable and its health route. The launcher of
 * @weibo-login/test-support starts it from this (the tests, the browser suite, the bench).
 */
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS, API_PROCESS_ENV } from './limits/bounds.ts';

export const API_PROGRAM = {
  name: 'the API',
  main: fileURLToPath(new URL('./main.ts', import.meta.url)),
  nodeFlags: API_NODE_FLAGS,
  env: API_PROCESS_ENV,
  passedOn: ['API_WORKERS'],
  portVariable: 'PORT',
  healthPath: '/api/healthz',
} as const;
