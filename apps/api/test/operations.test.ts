/**
 * (2e) Operating the API, against real processes: the metrics each moving when their event
 * happens (scrape, act, scrape), liveness and readiness (down with the database, with an old
 * schema, and from the moment SIGTERM arrives), request ids on the log lines of a request (a
 * trusted proxy's X-Request-Id kept, anyone else's not), MIGRATE_ON_START=false and `pnpm migrate`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@weibo-login/test-support';
import { sql } from 'kysely';
import pino from 'pino';
import { createWeiboSimulator, type WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, apiEnv, spawnApi } from './support/api-process.ts';
import { createHarness, startSimulator } from './support/harness.ts';
import { Browser } from './support/http.ts';
import { waitFor } from './support/load.ts';
import { createServer } from '../src/server.ts';

const run = promisify(execFile);
const API_ROOT = path.resolve(import.meta.dirname, '..');
let sim: WeiboSimulator;
let tmp: string;
beforeAll(async () => {
  sim = createWeiboSimulator();
  await sim.listen(0, '127.0.0.1');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weibo-login-ops-'));
});
afterAll(async () => {
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sqliteUrl = (name: string) => `sqlite:${path.join(tmp, `${name}.sqlite`)}`;

/** One series' value in a Prometheus text scrape (0 when absent). */
function valueOf(scrape: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const braces = line.match(/^[^{ ]+(?:\{(.*)\})? (\S+)$/);
    if (!braces) continue;
    const present = (braces[1] ?? '').split(',');
    if (wanted.every((label) => present.includes(label))) return Number(braces[2]);
  }
  return 0;
}

describe('metrics on METRICS_PORT', () => {
  let api: ApiProcess;
  let metricsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    api = await spawnApi(apiEnv(sim.url, { DATABASE_URL: sqliteUrl('metrics'), METRICS_PORT: String(port), BCRYPT_COST: '10' }));
  });
  afterAll(async () => {
    await api.stop();
  });
  const scrape = async () => (await fetch(metricsUrl)).text();

  it('serves Prometheus text with the process metrics, never on the public port', async () => {
    const response = await fetch(metricsUrl);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(text).toMatch(/^weibo_login_password_queue 0$/m);
    expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
  });

  it('counts requests by procedure and result, sessions by method, password checks by result', async () => {
    const before = await scrape();
    const browser = new Browser(api.url);
    const account = `metrics_${Date.now()}`;
    expect((await browser.call('auth.register', { account, password: 'metrics password' })).reason).toBe('ok');
    expect((await browser.call('auth.login', { account, password: 'wrong password!' })).reason).toBe('BAD_CREDENTIALS');
    expect((await browser.call('auth.login', { account, password: 'metrics password' })).reason).toBe('ok');
    expect((await browser.call('auth.login', { account: 'x' })).reason).toBe('INVALID_INPUT');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('weibo_login_requests_total', { procedure: 'auth.register', result: 'ok' })).toBe(1);
    expect(delta('weibo_login_requests_total', { procedure: 'auth.login', result: 'BAD_CREDENTIALS' })).toBe(1);
    expect(delta('weibo_login_requests_total', { procedure: 'auth.login', result: 'ok' })).toBe(1);
    expect(delta('weibo_login_requests_total', { procedure: 'auth.login', result: 'INVALID_INPUT' })).toBe(1);
    expect(delta('weibo_login_sessions_issued_total', { method: 'password' })).toBe(2);
    expect(delta('weibo_login_password_checks_total', { result: 'wrong' })).toBe(1);
    expect(delta('weibo_login_password_checks_total', { result: 'ok' })).toBe(1);
  });

  it('counts calls to Weibo by endpoint and outcome, with their duration, and Weibo sessions', async () => {
    const before = await scrape();
    const browser = new Browser(api.url);
    const uid = (await sim.control.createUser({ screenName: '指标' })).uid;
    const login = async () => {
      const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl');
      return browser.call('weibo.finish', { code: await sim.control.mintCode({ uid }), state: data.state });
    };
    expect((await login()).reason).toBe('ok');
    await sim.control.addFault({ endpoint: 'access_token', mode: 'error', errorCode: 21324, times: 1 });
    expect((await login()).reason).toBe('WEIBO_MISCONFIGURED');
    await sim.control.addFault({ endpoint: 'users_show', mode: 'garbage', times: 1 });
    expect((await login()).reason).toBe('WEIBO_UNAVAILABLE');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('weibo_login_weibo_calls_total', { endpoint: 'access_token', outcome: 'ok' })).toBe(2);
    expect(delta('weibo_login_weibo_calls_total', { endpoint: 'access_token', outcome: 'error_21324' })).toBe(1);
    expect(delta('weibo_login_weibo_calls_total', { endpoint: 'users_show', outcome: 'ok' })).toBe(1);
    expect(delta('weibo_login_weibo_calls_total', { endpoint: 'users_show', outcome: 'bad_answer' })).toBe(1);
    expect(delta('weibo_login_weibo_call_duration_seconds_count', { endpoint: 'access_token' })).toBe(3);
    expect(delta('weibo_login_requests_total', { procedure: 'weibo.finish', result: 'WEIBO_MISCONFIGURED' })).toBe(1);
  });

  it('keeps its label values to closed lists: no uid, account or address appears in a scrape', async () => {
    const text = await scrape();
    const labels = text
      .split('\n')
      .filter((line) => line.startsWith('weibo_login_'))
      .map((line) => line.match(/\{(.*)\}/)?.[1] ?? '');
    expect(labels.length).toBeGreaterThan(10);
    for (const label of labels) expect(label).not.toMatch(/\d{7,}|metrics_|127\.0\.0\.1/);
  });
});

describe('liveness and readiness', () => {
  it('says ready with a current schema, 503 from the moment SIGTERM arrives; livez never asks the database', async () => {
    const api = await spawnApi(apiEnv(sim.url, { DATABASE_URL: sqliteUrl('ready') }));
    expect(await (await fetch(`${api.url}/api/livez`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${api.url}/api/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    // A request still in flight at SIGTERM (a Weibo call that hangs for a while) keeps the process draining.
    await sim.control.addFault({ endpoint: 'access_token', mode: 'slow', delayMs: 1500, times: 1 });
    const browser = new Browser(api.url);
    const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl');
    const uid = (await sim.control.createUser({ screenName: '排空' })).uid;
    const inFlight = browser.call('weibo.finish', { code: await sim.control.mintCode({ uid }), state: data.state });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = api.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const during = await fetch(`${api.url}/api/readyz`).catch(() => null);
    // Either refused outright (the listener is closed) or answered 503 on a kept-alive connection: never ready.
    if (during) expect(during.status).toBe(503);
    expect((await inFlight).reason).toBe('ok');
    expect(await stopped).toEqual({ code: 0, signal: null });
  });
});

describe('request ids', () => {
  it('puts the request id on every line a request causes; keeps a trusted proxy’s X-Request-Id, not anyone else’s', async () => {
    const trusted = await spawnApi(apiEnv(sim.url, { DATABASE_URL: sqliteUrl('ids'), LOG_LEVEL: 'info', TRUST_PROXY: '127.0.0.1' }));
    const direct = await spawnApi(apiEnv(sim.url, { DATABASE_URL: sqliteUrl('ids-direct'), LOG_LEVEL: 'info' }));
    try {
      // A Weibo failure makes the service and the Weibo client log, inside the request.
      await sim.control.addFault({ endpoint: 'access_token', mode: '500', times: 2 });
      for (const [api, id] of [
        [trusted, 'proxy-id-12345'],
        [direct, 'forged-id-67890'],
      ] as const) {
        const browser = new Browser(api.url, { 'x-request-id': id });
        const { data } = await browser.call<{ state: string }>('weibo.authorizeUrl');
        const uid = (await sim.control.createUser({ screenName: '编号' })).uid;
        expect((await browser.call('weibo.finish', { code: await sim.control.mintCode({ uid }), state: data.state })).reason).toBe(
          'WEIBO_UNAVAILABLE',
        );
      }
      const linesOf = (api: ApiProcess) =>
        api
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { requestId?: string; msg?: string; provider?: string });
      // A log line reaches the pipe a moment after the answer may (from a worker with API_WORKERS).
      const linesOfRequest = () => linesOf(trusted).filter((line) => line.requestId === 'proxy-id-12345');
      await waitFor(async () => linesOfRequest().length >= 3, 5000, 'the request’s log lines');
      await waitFor(async () => linesOf(direct).some((line) => line.provider === 'weibo'), 5000, 'the Weibo failure’s log line');
      const weiboLine = linesOf(trusted).find((line) => line.provider === 'weibo');
      expect(weiboLine?.requestId).toBe('proxy-id-12345');
      // Every line of that request carries the same id (the request line, the failure, the answer).
      expect(linesOfRequest().length).toBeGreaterThanOrEqual(3);
      const directLine = linesOf(direct).find((line) => line.provider === 'weibo');
      expect(directLine?.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(linesOf(direct).some((line) => line.requestId === 'forged-id-67890')).toBe(false);
    } finally {
      await Promise.all([trusted.stop(), direct.stop()]);
    }
  });
});

describe('migrations apart from the start', () => {
  it('refuses to start on an older schema with MIGRATE_ON_START=false, until pnpm migrate ran; readiness says schema', async () => {
    const database = sqliteUrl('old');
    const refused = await spawnApi(apiEnv(sim.url, { DATABASE_URL: database, MIGRATE_ON_START: 'false' }), { waitForHealth: false });
    const exit = await refused.exited;
    expect(exit.code).toBe(1);
    expect(refused.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^Cannot start: the database schema is older .* run pnpm migrate$/),
    ]);

    const migrate = await run(process.execPath, ['src/cli/migrate.ts'], { cwd: API_ROOT, env: { ...process.env, DATABASE_URL: database } });
    expect(migrate.stdout.trim()).toMatch(/^sqlite database migrated: 0001_initial, .*0004_account_life; 0 stored token\(s\) sealed/);
    const again = await run(process.execPath, ['src/cli/migrate.ts'], { cwd: API_ROOT, env: { ...process.env, DATABASE_URL: database } });
    expect(again.stdout.trim()).toMatch(/^sqlite database already current/);

    const api = await spawnApi(apiEnv(sim.url, { DATABASE_URL: database, MIGRATE_ON_START: 'false' }));
    expect((await fetch(`${api.url}/api/readyz`)).status).toBe(200);
    await api.stop();
  });

  it('pnpm migrate fails with one line and exit 1 when the database cannot be reached', async () => {
    const failed = await run(process.execPath, ['src/cli/migrate.ts'], {
      cwd: API_ROOT,
      env: { ...process.env, DATABASE_URL: 'mysql://root@127.0.0.1:9/test' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Migration failed: /)]);
  });
});

describe('readiness in process', () => {
  it('answers 503 stopping once draining begins, and 503 schema on a database behind the code', async () => {
    const weibo = await startSimulator();
    const h = await createHarness('sqlite', weibo);
    const server = await createServer(
      h.deps,
      { host: '127.0.0.1', port: 0, trustProxy: false, corsOrigins: [], webDist: '/nonexistent' },
      pino({ level: 'silent' }),
    );
    try {
      const readyz = async () => {
        const answer = await server.app.inject({ method: 'GET', url: '/api/readyz' });
        return { status: answer.statusCode, body: answer.json() as unknown };
      };
      expect(await readyz()).toEqual({ status: 200, body: { ok: true } });
      await sql`delete from kysely_migration where name = '0004_account_life'`.execute(h.db);
      expect(await readyz()).toEqual({ status: 503, body: { ok: false, reason: 'schema' } });
      await sql`insert into kysely_migration (name, timestamp) values ('0004_account_life', '2026-12-07T00:00:00.000Z')`.execute(h.db);
      expect((await readyz()).status).toBe(200);
      server.beginDraining();
      expect(await readyz()).toEqual({ status: 503, body: { ok: false, reason: 'stopping' } });
      expect((await server.app.inject({ method: 'GET', url: '/api/livez' })).statusCode).toBe(200);
    } finally {
      await server.stop();
      await h.close();
      await weibo.close();
    }
  });
});
