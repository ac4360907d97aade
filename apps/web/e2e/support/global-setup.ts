/**
 * Starts, once for the browser suite, what a user of `pnpm start` talks to: the Weibo simulator,
 * the API on a fresh SQLite database in a temporary folder, and this app built with `vite build`
 * and served by the API from its own origin (history fallback, CSP and all).
 * Without /usr/bin/chromium the suite is skipped with one line, unless REQUIRE_BROWSER=1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { API_PROGRAM } from '@weibo-login/api/program';
import { freePort, launch, type ServiceProcess } from '@weibo-login/test-support';
import { createWeiboSimulator, DEMO_APP } from '@weibo-login/weibo-sim';
import { CHROMIUM_PATH } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the suite is skipped, or '' when the browser is there. */
    skipReason: string;
    baseUrl: string;
    simUrl: string;
  }
}

const WEB_ROOT = path.resolve(import.meta.dirname, '../..');
const STARTUP_TIMEOUT_MS = 60_000;

/** `vite build` as `pnpm build` runs it. Vitest sets NODE_ENV=test, which would make Vite bundle
 * the development builds of Vue and friends; the production bundle is the one to test. */
async function buildWeb(outDir: string): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: WEB_ROOT,
      configFile: path.join(WEB_ROOT, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    if (process.env.REQUIRE_BROWSER === '1') {
      throw new Error(`browser suite cannot run (REQUIRE_BROWSER=1): no Chromium at ${CHROMIUM_PATH}; apt-get install -y chromium`);
    }
    const line = `browser suite skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium; REQUIRE_BROWSER=1 makes this a failure)`;
    console.log(line);
    project.provide('skipReason', line);
    project.provide('baseUrl', '');
    project.provide('simUrl', '');
    return async () => {};
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weibo-login-e2e-'));
  const webDist = path.join(tmp, 'web');
  await buildWeb(webDist);

  const apiPort = await freePort();
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const simulator = createWeiboSimulator({
    apps: [{ ...DEMO_APP, redirectUris: [`${baseUrl}/weibo`] }],
  });
  const simUrl = await simulator.listen(0, '127.0.0.1');

  let api: ServiceProcess;
  try {
    api = await launch(API_PROGRAM, {
      port: apiPort,
      startupTimeoutMs: STARTUP_TIMEOUT_MS,
      env: {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${path.join(tmp, 'e2e.sqlite')}`,
        JWT_SECRET: 'e2e-secret-0123456789abcdef-0123456789abcdef',
        WEIBO_CLIENT_ID: DEMO_APP.clientId,
        WEIBO_CLIENT_SECRET: DEMO_APP.clientSecret,
        WEIBO_AUTHORIZE_URL: `${simUrl}/oauth2/authorize`,
        WEIBO_API_BASE: simUrl,
        WEIBO_REDIRECT_URI: `${baseUrl}/weibo`,
        WEB_DIST: webDist,
        LOG_LEVEL: 'warn',
      },
    });
  } catch (error) {
    await simulator.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }

  const stop = async () => {
    await api.stop();
    await simulator.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  project.provide('skipReason', '');
  project.provide('baseUrl', baseUrl);
  project.provide('simUrl', simUrl);
  return async () => {
    await stop();
    if (api.output().trim()) console.log(`API output during the browser suite:\n${api.output()}`);
  };
}
