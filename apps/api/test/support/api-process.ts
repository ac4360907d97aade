/**
 * The API as production runs it, in its own process: @weibo-login/test-support's launcher on the
 * API's program (`node <API_NODE_FLAGS> src/main.ts` with API_PROCESS_ENV, as `pnpm start`),
 * configured only by its environment (CONTRACT §2), with its stdout and stderr kept for inspection.
 */
import { launch, type ServiceProcess } from '@weibo-login/test-support';
import { DEMO_APP } from '@weibo-login/weibo-sim';
import { API_PROGRAM } from '../../src/program.ts';

export type { Exit } from '@weibo-login/test-support';
export type ApiProcess = ServiceProcess;

/** The environment of a test API talking to a simulator; `env` adds to or overrides it. */
export function apiEnv(simUrl: string, env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    HOST: '127.0.0.1',
    JWT_SECRET: 'process-test-secret-0123456789abcdef-0123',
    WEIBO_CLIENT_ID: DEMO_APP.clientId,
    WEIBO_CLIENT_SECRET: DEMO_APP.clientSecret,
    WEIBO_REDIRECT_URI: DEMO_APP.redirectUris[0]!,
    WEIBO_AUTHORIZE_URL: `${simUrl}/oauth2/authorize`,
    WEIBO_API_BASE: simUrl,
    WEIBO_TIMEOUT_MS: '2000',
    WEB_DIST: '/nonexistent',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/** Runs main.ts with this environment and resolves once /api/healthz answers. */
export function spawnApi(env: Record<string, string>, options: { port?: number; waitForHealth?: boolean } = {}): Promise<ApiProcess> {
  return launch(API_PROGRAM, { env, ...options });
}
