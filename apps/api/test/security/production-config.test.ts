/**
 * The production start (`NODE_ENV=production node src/main.ts`, what `pnpm start` runs) refuses
 * weak configuration: it exits 1 before listening, with one line naming the variable, and without
 * printing the value. loadConfig's rules one by one are in config.test.ts; this is the process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_DATA_KEY_HEX, DEV_JWT_SECRET, SIMULATOR_DEFAULTS } from '../../src/config.ts';
import { launch } from '@weibo-login/test-support';
import { API_PROGRAM } from '../../src/program.ts';
import { apiEnv, spawnApi } from '../support/api-process.ts';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-prod-config-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const STRONG_SECRET = 'prod-3f9c1e7a5b2d8046c1e9f7a3b5d2e8c0-4a6b';
const DATA_KEY = '5c'.repeat(32);
// A Weibo app of its own: production refuses the simulator's demo app that apiEnv gives. The
// Weibo URLs stay on 127.0.0.1, the one place production still allows http:.
const APP_SECRET = 'prod-app-secret-7d41c09e2b5a8f36e1d0c4b7a9f2e5d8';
const production = () =>
  apiEnv('http://127.0.0.1:9', {
    NODE_ENV: 'production',
    JWT_SECRET: STRONG_SECRET,
    DATA_ENCRYPTION_KEY: DATA_KEY,
    WEIBO_CLIENT_ID: '2870510993',
    WEIBO_CLIENT_SECRET: APP_SECRET,
    DATABASE_URL: `sqlite:${path.join(tmp, 'prod.sqlite')}`,
    LOG_LEVEL: 'info',
  });

/** Runs main.ts to its exit; a process still running after the timeout is a failure to refuse. */
async function refusal(env: Record<string, string>): Promise<{ code: number | null; output: string; listened: boolean }> {
  const api = await launch(API_PROGRAM, { env, waitForHealth: false });
  const timer = setTimeout(() => api.child.kill('SIGKILL'), 15_000);
  const { code } = await api.exited;
  clearTimeout(timer);
  return { code, output: api.output(), listened: /api listening/.test(api.output()) };
}

const without = (env: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));

describe('the production start refuses weak configuration', () => {
  const cases: [string, () => Record<string, string>, RegExp, string?][] = [
    ['no JWT_SECRET', () => without(production(), 'JWT_SECRET'), /^Configuration error: JWT_SECRET: required/],
    ['no DATA_ENCRYPTION_KEY', () => without(production(), 'DATA_ENCRYPTION_KEY'), /^Configuration error: DATA_ENCRYPTION_KEY: required/],
    [
      'the development DATA_ENCRYPTION_KEY',
      () => ({ ...production(), DATA_ENCRYPTION_KEY: DEV_DATA_KEY_HEX }),
      /^Configuration error: DATA_ENCRYPTION_KEY: the development default/,
      DEV_DATA_KEY_HEX,
    ],
    ['an empty JWT_SECRET', () => ({ ...production(), JWT_SECRET: '' }), /^Configuration error: JWT_SECRET: required/],
    [
      'a short JWT_SECRET',
      () => ({ ...production(), JWT_SECRET: 'hunter2-but-longer' }),
      /^Configuration error: JWT_SECRET: must be at least 32/,
      'hunter2-but-longer',
    ],
    [
      'the development JWT_SECRET',
      () => ({ ...production(), JWT_SECRET: DEV_JWT_SECRET }),
      /^Configuration error: JWT_SECRET: the development default/,
      DEV_JWT_SECRET,
    ],
    [
      'no Weibo app',
      () => without(production(), 'WEIBO_CLIENT_ID', 'WEIBO_CLIENT_SECRET'),
      /^Configuration error: WEIBO_CLIENT_ID: required/,
    ],
    [
      'a Weibo id without its secret',
      () => without(production(), 'WEIBO_CLIENT_SECRET'),
      /^Configuration error: WEIBO_CLIENT_SECRET: required/,
    ],
    ['TRUST_PROXY=true (believes any client)', () => ({ ...production(), TRUST_PROXY: 'true' }), /^Configuration error: TRUST_PROXY: /],
    [
      'a TRUST_PROXY hop count',
      () => ({ ...production(), TRUST_PROXY: '1' }),
      /^Configuration error: TRUST_PROXY: a hop count would believe X-Forwarded-For/,
    ],
    [
      'TRUST_PROXY=0.0.0.0/0',
      () => ({ ...production(), TRUST_PROXY: '127.0.0.1,0.0.0.0/0' }),
      /^Configuration error: TRUST_PROXY: "0.0.0.0\/0" would trust every address/,
    ],
    [
      'TRUST_PROXY=::/0',
      () => ({ ...production(), TRUST_PROXY: '::/0' }),
      /^Configuration error: TRUST_PROXY: "::\/0" would trust every address/,
    ],
    // Before the second edition this reached Fastify, whose throw was reported as "database unreachable".
    [
      'a TRUST_PROXY item that is no address',
      () => ({ ...production(), TRUST_PROXY: '127.0.0.1,proxy.internal' }),
      /^Configuration error: TRUST_PROXY: "proxy.internal" is not an address/,
    ],
    [
      "the simulator's demo app id",
      () => ({ ...production(), WEIBO_CLIENT_ID: SIMULATOR_DEFAULTS.clientId }),
      /^Configuration error: WEIBO_CLIENT_ID: the simulator's demo app/,
    ],
    [
      "the simulator's demo app secret",
      () => ({ ...production(), WEIBO_CLIENT_SECRET: SIMULATOR_DEFAULTS.clientSecret }),
      /^Configuration error: WEIBO_CLIENT_SECRET: the simulator's demo secret/,
      SIMULATOR_DEFAULTS.clientSecret,
    ],
    [
      'an http: WEIBO_API_BASE off this machine',
      () => ({ ...production(), WEIBO_API_BASE: 'http://api.weibo.com' }),
      /^Configuration error: WEIBO_API_BASE: must be an https: URL in production/,
    ],
    [
      'an http: WEIBO_AUTHORIZE_URL off this machine',
      () => ({ ...production(), WEIBO_AUTHORIZE_URL: 'http://api.weibo.com/oauth2/authorize' }),
      /^Configuration error: WEIBO_AUTHORIZE_URL: must be an https: URL/,
    ],
    [
      'an http: WEIBO_REDIRECT_URI off this machine',
      () => ({ ...production(), WEIBO_REDIRECT_URI: 'http://login.example.com/weibo' }),
      /^Configuration error: WEIBO_REDIRECT_URI: must be an https: URL/,
    ],
    [
      'AUDIT_RETENTION_DAYS=0',
      () => ({ ...production(), AUDIT_RETENTION_DAYS: '0' }),
      /^Configuration error: AUDIT_RETENTION_DAYS: must be a whole number from 1 to 3650$/,
    ],
    [
      'WEIBO_CALL_BUDGET_PER_MINUTE=none',
      () => ({ ...production(), WEIBO_CALL_BUDGET_PER_MINUTE: 'none' }),
      /^Configuration error: WEIBO_CALL_BUDGET_PER_MINUTE: must be a whole number of at least 1$/,
    ],
    ['CORS_ORIGINS=*', () => ({ ...production(), CORS_ORIGINS: '*' }), /^Configuration error: CORS_ORIGINS: /],
    [
      'a non-http redirect URI',
      () => ({ ...production(), WEIBO_REDIRECT_URI: 'javascript:alert(1)' }),
      /^Configuration error: WEIBO_REDIRECT_URI: /,
    ],
    ['a bcrypt cost under 10', () => ({ ...production(), BCRYPT_COST: '4' }), /^Configuration error: BCRYPT_COST: /],
  ];

  it.each(cases)('%s: exits 1 with one line naming it, before listening', async (_name, env, line, secret) => {
    const result = await refusal(env());
    expect(result.code).toBe(1);
    expect(result.listened).toBe(false);
    const lines = result.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    if (secret) expect(result.output).not.toContain(secret);
  });

  it('an invalid TRUST_PROXY outside production also stops the start with the TRUST_PROXY line', async () => {
    const result = await refusal({ ...without(production(), 'NODE_ENV'), TRUST_PROXY: '10.0.0.0/33' });
    expect(result.code).toBe(1);
    expect(result.output.trim()).toBe(
      'Configuration error: TRUST_PROXY: "10.0.0.0/33" is not an address, a CIDR or loopback/linklocal/uniquelocal',
    );
    expect(result.output).not.toMatch(/database unreachable/);
  });

  it('starts with a strong configuration, prints no secret, and stops cleanly on SIGTERM', async () => {
    const api = await spawnApi({ ...production(), TRUST_PROXY: '127.0.0.1,10.0.0.0/8' });
    expect((await fetch(`${api.url}/api/healthz`)).status).toBe(200);
    expect(await api.stop()).toEqual({ code: 0, signal: null });
    expect(api.output()).toMatch(/api listening/);
    for (const secret of [STRONG_SECRET, production().WEIBO_CLIENT_SECRET!, DATA_KEY]) expect(api.output()).not.toContain(secret);
  });
});
