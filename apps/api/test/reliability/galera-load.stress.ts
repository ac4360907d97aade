/**
 * A figure, not an assertion: Weibo sign-ins per second of bound users (authorizeUrl, then
 * weibo.login with a fresh code: a state written and spent, the simulator's token and profile
 * calls, a session and events written) through two instances, when the two write through two
 * different Galera nodes, when both write through one node of the same cluster, and through the
 * plain MariaDB on :3306 where it answers. Rounds interleaved, on this 2-core machine that also
 * runs the three nodes, the simulator and the clients. Printed, and written to
 * $TEST_REPORT_DIR/figures/galera.json (or the OS temp folder's figures/). Tests do not depend on
 * speed: only that every sign-in succeeded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createScratchMysqlDatabase, freePort, mysqlAnswers, type ScratchDatabase } from '@weibo-login/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, apiEnv, spawnApi } from '../support/api-process.ts';
import { galeraSkipped } from '../support/galera.ts';
import { createGaleraWorld, type GaleraWorld, tally } from '../support/galera-world.ts';
import { Browser } from '../support/http.ts';

const USERS = 24;
const CLIENTS = 8;
const ROUND_MS = 8000;
const ROUNDS = 2;
const PLAIN_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
/** The per-instance Weibo budget would cap the figure at 5 sign-ins/s: lifted for the measurement. */
const EXTRA = { WEIBO_CALL_BUDGET_PER_MINUTE: '1000000' };

interface Setup {
  label: string;
  apis: ApiProcess[];
}

describe.skipIf(galeraSkipped('galera load figure'))('Weibo sign-ins per second through a Galera cluster', () => {
  let w: GaleraWorld;
  let plain: ScratchDatabase | null = null;
  const setups: Setup[] = [];
  const uids: string[] = [];

  beforeAll(async () => {
    w = await createGaleraWorld('galera_load');
    const [first] = await w.startApis([0], EXTRA);
    const rest = await w.startApis([1, 0], EXTRA);
    setups.push({ label: 'two instances on two nodes', apis: [first!, rest[0]!] });
    setups.push({ label: 'two instances on one node', apis: [first!, rest[1]!] });
    if (await mysqlAnswers(PLAIN_URL)) {
      plain = await createScratchMysqlDatabase(PLAIN_URL, 'wl_galera_load');
      const env = apiEnv(w.sim.url, { DATABASE_URL: plain.url, LOG_LEVEL: 'warn', TRUST_PROXY: '127.0.0.1', ...EXTRA });
      const [portA, portB] = [await freePort(), await freePort()];
      const a = await spawnApi({ ...env, METRICS_PORT: String(portA) });
      const b = await spawnApi({ ...env, METRICS_PORT: String(portB) });
      setups.push({ label: 'two instances on the plain MariaDB (:3306)', apis: [w.adopt(a, -1, portA), w.adopt(b, -1, portB)] });
    }
    // Bound users, made by Weibo-first sign-up (no password: no bcrypt in the figure), on each database.
    for (let i = 0; i < USERS; i++) uids.push(await w.newUid());
    for (const setup of setups.filter((s, i) => i !== 1))
      for (const [i, uid] of uids.entries()) {
        const browser = new Browser(setup.apis[0]!.url, { 'x-forwarded-for': `198.18.40.${i}` });
        const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
        const { ticket } = (await browser.call<{ ticket: string }>('weibo.login', { code: await w.mint(uid), state })).data;
        expect((await browser.call('weibo.register', { ticket })).reason).toBe('ok');
      }
  });
  afterAll(async () => {
    await w?.dispose();
    await plain?.drop();
  });

  /** CLIENTS clients signing in for ROUND_MS, half through each instance; the answers' reasons. */
  async function round(setup: Setup): Promise<{ perSecond: number; reasons: string[] }> {
    const reasons: string[] = [];
    const until = performance.now() + ROUND_MS;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let n = 0; performance.now() < until; n++) {
          const ip = `198.19.${client}.${n % 250}`;
          const browser = new Browser(setup.apis[client % 2]!.url, { 'x-forwarded-for': ip });
          const { state } = (await browser.call<{ state: string }>('weibo.authorizeUrl')).data;
          const code = await w.mint(uids[(client * 7 + n) % USERS]!);
          const login = await browser.call<{ status: string }>('weibo.login', { code, state });
          reasons.push(login.data?.status ?? login.reason);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: reasons.filter((r) => r === 'signed_in').length / seconds, reasons };
  }

  it('measures bound-user Weibo sign-ins per second through two instances (a figure)', async () => {
    const figures = new Map<string, number[]>(setups.map((s) => [s.label, []]));
    // Conflicts the instances ran again (weibo_login_db_conflict_retries_total), per setup, and its sign-ins.
    const retried = new Map<string, { retries: number; signIns: number }>(setups.map((s) => [s.label, { retries: 0, signIns: 0 }]));
    const reasons: string[] = [];
    const retriesOf = async (setup: Setup) => {
      const counts = await w.conflictRetries();
      return setup.apis.reduce((sum, api) => sum + Math.max(0, counts[w.nameOf(api.url)] ?? 0), 0);
    };
    for (let r = 0; r < ROUNDS; r++)
      for (const setup of setups) {
        const before = await retriesOf(setup);
        const result = await round(setup);
        const tallied = retried.get(setup.label)!;
        tallied.retries += (await retriesOf(setup)) - before;
        tallied.signIns += result.reasons.filter((reason) => reason === 'signed_in').length;
        figures.get(setup.label)!.push(result.perSecond);
        reasons.push(...result.reasons);
      }
    const table = [...figures].map(([label, values]) => {
      const { retries, signIns } = retried.get(label)!;
      return {
        setup: label,
        signInsPerSecond: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10,
        rounds: values.map((v) => Math.round(v * 10) / 10),
        conflictRetriesPer1000SignIns: signIns === 0 ? null : Math.round((retries / signIns) * 1000 * 10) / 10,
      };
    });
    console.log(
      `galera load (bound-user Weibo sign-ins/s, ${CLIENTS} clients, ${ROUNDS}×${ROUND_MS / 1000} s interleaved, ${os.cpus().length} cores)\n${table
        .map(
          (t) =>
            `  ${t.setup.padEnd(44)} ${String(t.signInsPerSecond).padStart(6)}  rounds ${t.rounds.join(', ')}  conflicts retried per 1,000: ${t.conflictRetriesPer1000SignIns}`,
        )
        .join('\n')}`,
    );
    // A folder of its own: the test reports of TEST_REPORT_DIR are what CI adds up.
    const dir = path.join(process.env.TEST_REPORT_DIR || os.tmpdir(), 'figures');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'galera.json');
    const what = 'bound-user Weibo sign-ins per second (authorizeUrl + weibo.login) through two API instances';
    fs.writeFileSync(
      file,
      `${JSON.stringify({ what, clients: CLIENTS, roundMs: ROUND_MS, cores: os.cpus().length, setups: table }, null, 2)}\n`,
    );
    console.log(`galera figures written to ${file}`);
    // Whatever the speed, every sign-in signed in.
    expect(tally(reasons), w.unexpectedLog()).toEqual({ signed_in: reasons.length });
  });
});
