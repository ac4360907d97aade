/**
 * (2e) API_WORKERS=2: one port served by two worker processes of one primary, on SQLite (two
 * processes on one file: WAL, busy timeout, BEGIN IMMEDIATE, SQLITE_BUSY run again) and on MySQL.
 * The races settle once whichever worker each call reaches, nothing answers 500, the metrics of
 * both workers are served together, the rates are the instance's (counted by the primary), and
 * SIGTERM has every worker drain and exit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childrenOf, freePort } from '@weibo-login/test-support';
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REGISTRATIONS_PER_ADDRESS } from '../../src/limits/bounds.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { REDIRECT_URI, startSimulator } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { Browser, call } from '../support/http.ts';

const N = 30;
const PASSWORD = 'workers password 1';
/** Behind the trusted proxy every simulated person has an address of their own (the per-address limits count people). */
let people = 0;
const person = () => ({ 'x-forwarded-for': `198.18.${Math.floor(++people / 250)}.${people % 250}` });

describe.each(DIALECTS)('API_WORKERS=2 on %s', (dialect) => {
  let sim: WeiboSimulator;
  let db: TestDatabase | undefined;
  let tmp: string;
  let api: ApiProcess;
  let metricsUrl: string;
  const statuses: number[] = [];
  const record = <T extends { status: number }>(result: T): T => (statuses.push(result.status), result);

  beforeAll(async () => {
    sim = await startSimulator();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-workers-'));
    db = dialect === 'mysql' ? await createTestDatabase('mysql') : undefined;
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    api = await spawnApi(
      apiEnv(sim.url, {
        API_WORKERS: '2',
        DATABASE_URL: db?.config.kind === 'mysql' ? db.config.url : `sqlite:${path.join(tmp, 'api.sqlite')}`,
        METRICS_PORT: String(port),
        BCRYPT_COST: '10',
        TRUST_PROXY: '127.0.0.1',
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    await sim?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('serves the port with two workers of one primary', () => {
    expect(childrenOf(api.child.pid!)).toHaveLength(2);
  });

  it(`${N} registrations of one name at once make one account`, async () => {
    const account = `wk_${dialect}_${Date.now().toString(36)}`;
    const results = await Promise.all(
      Array.from({ length: N }, () => call(api.url, 'auth.register', { account, password: PASSWORD }, { headers: person() }).then(record)),
    );
    expect(results.filter((r) => r.reason === 'ok')).toHaveLength(1);
    expect(new Set(results.filter((r) => r.reason !== 'ok').map((r) => r.reason))).toEqual(new Set(['ACCOUNT_TAKEN']));
  });

  it(`${N} binds of one Weibo uid to ${N} accounts at once bind it once`, async () => {
    const uid = (await sim.control.createUser({ screenName: '并发' })).uid;
    const prepared = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const account = `bn_${dialect}_${i}_${Date.now().toString(36)}`;
        const browser = new Browser(api.url, person());
        record(await browser.call('auth.register', { account, password: PASSWORD }));
        const { state } = record(await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
        const code = await sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
        const { ticket } = record(await browser.call<{ ticket: string }>('weibo.finish', { code, state })).data;
        return { browser, account, ticket };
      }),
    );
    const results = await Promise.all(
      prepared.map(({ browser, account, ticket }) => browser.call('weibo.bind', { ticket, account, password: PASSWORD }).then(record)),
    );
    expect(results.filter((r) => r.reason === 'ok')).toHaveLength(1);
    expect(new Set(results.filter((r) => r.reason !== 'ok').map((r) => r.reason))).toEqual(new Set(['WEIBO_ALREADY_BOUND']));
  });

  it(`${N} one-tap Weibo sign-ups at once each get an account with a name of its own`, async () => {
    const prepared = await Promise.all(
      Array.from({ length: N }, async () => {
        const uid = (await sim.control.createUser({ screenName: '一键' })).uid;
        const browser = new Browser(api.url, person());
        const { state } = record(await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
        const code = await sim.control.mintCode({ uid, redirectUri: REDIRECT_URI });
        return { browser, ticket: record(await browser.call<{ ticket: string }>('weibo.finish', { code, state })).data.ticket };
      }),
    );
    const results = await Promise.all(
      prepared.map(({ browser, ticket }) => browser.call<{ user: { account: string } }>('weibo.register', { ticket }).then(record)),
    );
    expect(results.every((r) => r.reason === 'ok')).toBe(true);
    expect(new Set(results.map((r) => r.data.user.account)).size).toBe(N);
  });

  it('serves the metrics of both workers together', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const registered = Number(/^weibo_login_requests_total\{procedure="auth\.register",result="ok"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    // Every registration that succeeded, whichever worker served it (one of the race, N before the binds).
    expect(registered).toBe(1 + N);
  });

  // Without it: with each worker counting its own rates (createWorkLimits in each), 20 are made.
  it('lets one address make REGISTRATIONS_PER_ADDRESS accounts in all, whichever worker its connections reach', async () => {
    const address = { 'x-forwarded-for': '198.19.7.7' };
    // Many at once: each on a connection of its own, which the primary hands to the workers in turn.
    const results = await Promise.all(
      Array.from({ length: 2 * REGISTRATIONS_PER_ADDRESS.points }, (_, i) =>
        call(
          api.url,
          'auth.register',
          { account: `one_${dialect}_${i}_${Date.now().toString(36)}`, password: PASSWORD },
          { headers: address },
        ).then(record),
      ),
    );
    expect(results.filter((r) => r.reason === 'ok')).toHaveLength(REGISTRATIONS_PER_ADDRESS.points);
    expect(new Set(results.filter((r) => r.reason !== 'ok').map((r) => r.reason))).toEqual(new Set(['TOO_MANY_ATTEMPTS']));
  });

  it('answered nothing with a 500 in all of it, and stops every worker at SIGTERM', async () => {
    expect(statuses.length).toBeGreaterThan(4 * N);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    const workers = childrenOf(api.child.pid!);
    expect(await api.stop()).toEqual({ code: 0, signal: null });
    for (const pid of workers) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });
});

/** The processes whose environment mentions `text` (Linux /proc). */
function processesWithEnvironment(text: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return fs.readFileSync(`/proc/${entry}/environ`, 'utf8').includes(text);
      } catch {
        return false; // ended meanwhile, or not ours to read
      }
    })
    .map(Number);
}

describe('API_WORKERS=2, stopped while starting', () => {
  // Without it: with main.ts's signal handlers installed only once the workers listen, the primary
  // dies of the SIGTERM (code null) and leaves its workers to notice alone.
  it('waits for the start to end, then stops every worker and exits 0', async () => {
    const sim = await startSimulator();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-workers-stop-'));
    try {
      const api = await spawnApi(
        apiEnv(sim.url, { API_WORKERS: '2', DATABASE_URL: `sqlite:${path.join(tmp, 'api.sqlite')}`, LOG_LEVEL: 'info' }),
        { waitForHealth: false },
      );
      // The primary has migrated and is forking the workers, which take a second or so to listen.
      await vi.waitFor(() => expect(api.output()).toContain('database migrated'), { timeout: 30_000, interval: 5 });
      expect(await api.stop()).toEqual({ code: 0, signal: null });
      expect(api.output()).toContain('stopping: finishing requests in flight');
      // No worker left behind (one would have been handed to init): none has this database in its environment.
      expect(processesWithEnvironment(tmp)).toEqual([]);
    } finally {
      await sim.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
