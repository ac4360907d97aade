/**
 * Starts, once for the browser suite, what a user of `pnpm start` talks to: the Weibo simulator,
 * the API on a fresh SQLite database in a temporary folder, and this app built with `vite build`
 * and served by the API from its own origin (history fallback, CSP and all).
 *
 * A second API (`altUrl`) serves the same app as another site would run it: its own Weibo app,
 * still under Weibo's review (audited: false, so only its test accounts can sign in), Weibo
 * sign-up closed (WEIBO_SIGNUP=closed) and an ICP number (SITE_ICP). Scenarios that need those
 * settings use it; both share the simulator.
 * Without /usr/bin/chromium the suite is skipped with one line, unless REQUIRE_BROWSER=1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { API_PROGRAM } from '@weibo-login/api/program';
import { freePort, launch, type ServiceProcess } from '@weibo-login/test-support';
import { createWeiboSimulator, DEMO_APP, MOBILE_AUTHORIZE_PATH, AUTHORIZE_PATH } from '@weibo-login/weibo-sim';
import { CHROMIUM_PATH } from './browser.ts';
import { ALT_SITE_ICP, SITE_NAME } from './sites.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the suite is skipped, or '' when the browser is there. */
    skipReason: string;
    baseUrl: string;
    simUrl: string;
    /** The second site: unaudited Weibo app, Weibo sign-up closed, an ICP number. */
    altUrl: string;
    altClientId: string;
  }
}

const WEB_ROOT = path.resolve(import.meta.dirname, '../..');
const STARTUP_TIMEOUT_MS = 60_000;
/** The second site's Weibo app: registered at the simulator, not yet through Weibo's review. */
const ALT_APP = { clientId: '2837465910', clientSecret: 'e2e-alt-app-secret-0123456789abcdef' };

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

function apiEnv(options: {
  tmp: string;
  name: string;
  simUrl: string;
  baseUrl: string;
  webDist: string;
  clientId: string;
  clientSecret: string;
}) {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${path.join(options.tmp, `${options.name}.sqlite`)}`,
    JWT_SECRET: 'e2e-secret-0123456789abcdef-0123456789abcdef',
    WEIBO_CLIENT_ID: options.clientId,
    WEIBO_CLIENT_SECRET: options.clientSecret,
    WEIBO_AUTHORIZE_URL: `${options.simUrl}${AUTHORIZE_PATH}`,
    WEIBO_MOBILE_AUTHORIZE_URL: `${options.simUrl}${MOBILE_AUTHORIZE_PATH}`,
    WEIBO_API_BASE: options.simUrl,
    WEIBO_REDIRECT_URI: `${options.baseUrl}/weibo`,
    WEB_DIST: options.webDist,
    SITE_NAME,
    // The browsers reach the API as if through a proxy on this machine, each visitor with an
    // address of its own in X-Forwarded-For (support/browser.ts newVisitor).
    TRUST_PROXY: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    if (process.env.REQUIRE_BROWSER === '1') {
      throw new Error(`browser suite cannot run (REQUIRE_BROWSER=1): no Chromium at ${CHROMIUM_PATH}; apt-get install -y chromium`);
    }
    const line = `browser suite skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium; REQUIRE_BROWSER=1 makes this a failure)`;
    console.log(line);
    project.provide('skipReason', line);
    for (const key of ['baseUrl', 'simUrl', 'altUrl', 'altClientId'] as const) project.provide(key, '');
    return async () => {};
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weibo-login-e2e-'));
  const webDist = path.join(tmp, 'web');
  await buildWeb(webDist);

  const [apiPort, altPort] = [await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const altUrl = `http://127.0.0.1:${altPort}`;
  const simulator = createWeiboSimulator({
    apps: [
      { ...DEMO_APP, redirectUris: [`${baseUrl}/weibo`] },
      { ...DEMO_APP, ...ALT_APP, name: `${SITE_NAME}（审核中）`, redirectUris: [`${altUrl}/weibo`], audited: false, testUids: [] },
    ],
  });
  const simUrl = await simulator.listen(0, '127.0.0.1');

  const started: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(started.map((api) => api.stop()));
    await simulator.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const common = { tmp, simUrl, webDist };
    started.push(
      await launch(API_PROGRAM, {
        port: apiPort,
        startupTimeoutMs: STARTUP_TIMEOUT_MS,
        env: apiEnv({ ...common, name: 'e2e', baseUrl, clientId: DEMO_APP.clientId, clientSecret: DEMO_APP.clientSecret }),
      }),
    );
    started.push(
      await launch(API_PROGRAM, {
        port: altPort,
        startupTimeoutMs: STARTUP_TIMEOUT_MS,
        env: {
          ...apiEnv({ ...common, name: 'alt', baseUrl: altUrl, ...ALT_APP }),
          WEIBO_SIGNUP: 'closed',
          SITE_ICP: ALT_SITE_ICP,
        },
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  project.provide('skipReason', '');
  project.provide('baseUrl', baseUrl);
  project.provide('simUrl', simUrl);
  project.provide('altUrl', altUrl);
  project.provide('altClientId', ALT_APP.clientId);
  return async () => {
    const output = started.map((api) => api.output().trim()).filter(Boolean);
    await stop();
    if (output.length > 0) console.log(`API output during the browser suite:\n${output.join('\n')}`);
  };
}
