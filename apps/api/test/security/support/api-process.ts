/**
 * The API as production runs it: `node <API_NODE_FLAGS> src/main.ts` in its own process (the memory
 * bounds of `pnpm start`: API_NODE_FLAGS and API_PROCESS_ENV), configured only by its environment (CONTRACT §2), with its stdout and
 * stderr kept for inspection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@weibo-login/test-support';
import { DEMO_APP } from '@weibo-login/weibo-sim';
import { API_NODE_FLAGS, API_PROCESS_ENV } from '../../../src/limits/bounds.ts';

export const API_MAIN = path.resolve(import.meta.dirname, '../../../src/main.ts');
const STARTUP_TIMEOUT_MS = 30_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ApiProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<Exit>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

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

/** Runs main.ts with exactly this environment and resolves once /api/healthz answers. */
export async function spawnApi(env: Record<string, string>, options: { port?: number; waitForHealth?: boolean } = {}): Promise<ApiProcess> {
  const port = options.port ?? (await freePort());
  let output = '';
  const child = spawn(process.execPath, [...API_NODE_FLAGS, API_MAIN], {
    env: { ...API_PROCESS_ENV, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const api: ApiProcess = {
    url,
    port,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitForHealth === false) return api;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}:\n${output}`);
    const healthy = await fetch(`${url}/api/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return api;
    if (Date.now() > deadline) {
      await api.stop('SIGKILL');
      throw new Error(`the API did not answer within ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    }
    // A process that is starting has no event to wait for from outside: poll.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
