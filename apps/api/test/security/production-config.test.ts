/**
 * The production start (`NODE_ENV=production node src/main.ts`, what `pnpm start` runs) refuses
 * weak configuration: it exits 1 before listening, with one line naming the variable, and without
 * printing the value. loadConfig's rules one by one are in config.test.ts; this is the process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../src/config.ts';
import { freePort } from '@weibo-login/test-support';
import { API_MAIN, apiEnv, spawnApi } from './support/api-process.ts';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-prod-config-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const STRONG_SECRET = 'prod-3f9c1e7a5b2d8046c1e9f7a3b5d2e8c0-4a6b';
const production = () =>
  apiEnv('http://127.0.0.1:9', { NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, DATABASE_URL: `sqlite:${path.join(tmp, 'prod.sqlite')}`, LOG_LEVEL: 'info' });

/** Runs main.ts to its exit; a process still running after the timeout is a failure to refuse. */
async function refusal(env: Record<string, string>): Promise<{ code: number | null; output: string; listened: boolean }> {
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [API_MAIN], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output, listened: /api listening/.test(output) };
}

const without = (env: Record<string, string>, ...names: string[]) => Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));

describe('the production start refuses weak configuration', () => {
  const cases: [string, () => Record<string, string>, RegExp, string?][] = [
    ['no JWT_SECRET', () => without(production(), 'JWT_SECRET'), /^Configuration error: JWT_SECRET: required/],
    ['an empty JWT_SECRET', () => ({ ...production(), JWT_SECRET: '' }), /^Configuration error: JWT_SECRET: required/],
    ['a short JWT_SECRET', () => ({ ...production(), JWT_SECRET: 'hunter2-but-longer' }), /^Configuration error: JWT_SECRET: must be at least 32/, 'hunter2-but-longer'],
    ['the development JWT_SECRET', () => ({ ...production(), JWT_SECRET: DEV_JWT_SECRET }), /^Configuration error: JWT_SECRET: the development default/, DEV_JWT_SECRET],
    ['no Weibo app', () => without(production(), 'WEIBO_CLIENT_ID', 'WEIBO_CLIENT_SECRET'), /^Configuration error: WEIBO_CLIENT_ID: required/],
    ['a Weibo id without its secret', () => without(production(), 'WEIBO_CLIENT_SECRET'), /^Configuration error: WEIBO_CLIENT_SECRET: required/],
    ['TRUST_PROXY=true (believes any client)', () => ({ ...production(), TRUST_PROXY: 'true' }), /^Configuration error: TRUST_PROXY: /],
    ['CORS_ORIGINS=*', () => ({ ...production(), CORS_ORIGINS: '*' }), /^Configuration error: CORS_ORIGINS: /],
    ['a non-http redirect URI', () => ({ ...production(), WEIBO_REDIRECT_URI: 'javascript:alert(1)' }), /^Configuration error: WEIBO_REDIRECT_URI: /],
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

  it('starts with a strong configuration, prints no secret, and stops cleanly on SIGTERM', async () => {
    const api = await spawnApi(production());
    expect((await fetch(`${api.url}/api/healthz`)).status).toBe(200);
    expect(await api.stop()).toEqual({ code: 0, signal: null });
    expect(api.output()).toMatch(/api listening/);
    for (const secret of [STRONG_SECRET, production().WEIBO_CLIENT_SECRET!]) expect(api.output()).not.toContain(secret);
  });
});
