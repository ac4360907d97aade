/**
 * The database goes away under load: a MariaDB of the test's own is killed (SIGKILL), shut down
 * (SIGTERM) or frozen (SIGSTOP) while clients register and sign in through the real API process.
 * Health says down, procedures answer SERVICE_UNAVAILABLE (503) quickly instead of hanging, and
 * once the server is back the API recovers by itself; every registration that was acknowledged is
 * still there. database-down.test.ts covers a database that was never reachable.
 */
import type { WeiboSimulator } from '@weibo-login/weibo-sim';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../support/harness.ts';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { createOwnMariadb, type OwnMariadb, ownMariadbUnavailable } from '../support/mariadb.ts';
import { type Outcome, request, sleep, startLoad, waitFor } from '../support/load.ts';

/** mysql2's connectTimeout (src/db/client.ts) is 3 s; an answer may take that plus a loaded machine's margin. */
const ANSWER_BOUND_MS = 8000;
const RECOVERY_BOUND_MS = 15_000;
const PASSWORD = 'outage-password-1';

if (ownMariadbUnavailable) {
  if (process.env.REQUIRE_MYSQL === '1') throw new Error(`database outage suite cannot run (REQUIRE_MYSQL=1): ${ownMariadbUnavailable}`);
  console.warn(`database outage suite skipped: ${ownMariadbUnavailable} (REQUIRE_MYSQL=1 makes this a failure)`);
}

describe.skipIf(ownMariadbUnavailable !== null)('database outage and recovery', () => {
  let sim: WeiboSimulator;
  let db: OwnMariadb;
  let api: ApiProcess;
  let seeded: string;

  beforeAll(async () => {
    sim = await startSimulator();
    db = await createOwnMariadb();
    await db.createDatabase('outage');
    api = await spawnApi(
      apiEnv(sim.url, { DATABASE_URL: db.url('outage'), BCRYPT_COST: '10', LOG_LEVEL: 'warn', TRUST_PROXY: '127.0.0.1' }),
    );
    seeded = `seed_${Date.now().toString(36)}`;
    expect((await request(api.url, '/trpc/auth.register', { account: seeded, password: PASSWORD })).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    const exit = await api?.stop();
    await db?.dispose();
    await sim?.close();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  const health = async () => (await request(api.url, '/api/healthz')).status;
  const ready = async () => (await request(api.url, '/api/readyz')).status;
  const alive = async () => (await request(api.url, '/api/livez')).status;

  /** 6 clients registering (bcrypt and a transaction) and signing in to the account each made first.
   * One account per client: parallel sign-ins of one account are cut at the lockout limit. */
  function traffic(tag: string) {
    return startLoad(api.url, 6, (worker, n) => {
      if (n % 3 === 2) return { op: 'login', path: '/trpc/auth.login', body: { account: `${tag}_${worker}_0`, password: PASSWORD } };
      const account = `${tag}_${worker}_${n}`;
      return { op: 'register', path: '/trpc/auth.register', body: { account, password: PASSWORD }, account };
    });
  }

  async function acknowledgedAreKept(outcomes: Outcome[]) {
    const acknowledged = outcomes.filter((o) => o.op === 'register' && o.status === 200).map((o) => o.account!);
    const connection = await createConnection({ uri: db.url('outage') });
    const [rows] = await connection.query('SELECT account FROM users WHERE account IN (?)', [acknowledged]);
    await connection.end();
    expect(new Set((rows as { account: string }[]).map((r) => r.account))).toEqual(new Set(acknowledged));
    return acknowledged.length;
  }

  it.each(['SIGKILL', 'SIGTERM', 'SIGSTOP'] as const)(
    '%s to the database mid-run: clear 503s, no hang, recovery by itself, nothing acknowledged lost',
    async (signal) => {
      const load = traffic(signal.toLowerCase());
      await sleep(1500);
      const downAt = performance.now();
      if (signal === 'SIGSTOP') db.freeze();
      else await db.stop(signal);
      const detectedMs = await waitFor(async () => (await health()) === 503, ANSWER_BOUND_MS, 'health reports the database down');
      // (2e) Readiness goes down with the database; liveness does not (a restart would not help).
      await waitFor(async () => (await ready()) === 503, ANSWER_BOUND_MS, 'readiness reports the database down');
      expect(await alive()).toBe(200);
      // Longer than any bound below: a request that waits for the server instead of answering fails.
      await sleep(ANSWER_BOUND_MS + 2000);
      const upAt = performance.now();
      if (signal === 'SIGSTOP') db.thaw();
      else await db.start();
      let last = '';
      const recoveredMs = await waitFor(
        async () => {
          const [status, login] = [await health(), await request(api.url, '/trpc/auth.login', { account: seeded, password: PASSWORD })];
          last = `health ${status}, login ${login.status} ${login.reason}`;
          return status === 200 && login.status === 200 && (await ready()) === 200;
        },
        RECOVERY_BOUND_MS,
        'the API recovers',
      ).catch((error: Error) => {
        throw new Error(`${error.message} (last: ${last})\n${api.output().slice(-3000)}`);
      });
      await sleep(1500);
      await load.stop();

      const { outcomes } = load;
      const during = outcomes.filter((o) => o.startedAt > downAt + 200 && o.endedAt < upAt);
      const after = outcomes.filter((o) => o.startedAt > upAt + recoveredMs + 500);
      const slowest = Math.max(...outcomes.map((o) => o.endedAt - o.startedAt));
      const summary = {
        signal,
        requests: outcomes.length,
        during: during.length,
        detectedMs: Math.round(detectedMs),
        recoveredMs: Math.round(recoveredMs),
        slowestMs: Math.round(slowest),
      };
      console.log(`database outage ${JSON.stringify(summary)}`);

      // Nothing was ever a 500, a non-answer or a hang.
      const unexpected = () =>
        api
          .output()
          .split('\n')
          .filter((line) => line.includes('unexpected error'))
          .join('\n')
          .slice(0, 4000);
      expect(
        outcomes.filter((o) => o.status >= 500 && o.status !== 503).map((o) => o.reason),
        unexpected(),
      ).toEqual([]);
      expect(outcomes.filter((o) => o.status <= 0).map((o) => o.reason)).toEqual([]);
      expect(slowest).toBeLessThan(ANSWER_BOUND_MS);
      // While it was down, every answer was the clear one.
      expect(during.length).toBeGreaterThan(5);
      expect(new Set(during.map((o) => `${o.status} ${o.reason}`))).toEqual(new Set(['503 SERVICE_UNAVAILABLE']));
      // After it came back, the same clients are served again.
      expect(after.length).toBeGreaterThan(3);
      expect(after.filter((o) => o.status !== 200).map((o) => o.reason)).toEqual([]);
      expect(await acknowledgedAreKept(outcomes)).toBeGreaterThan(3);
    },
    120_000,
  );
});
