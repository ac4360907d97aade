/**
 * One node of the Galera cluster killed (SIGKILL) mid-load, with clients registering and signing
 * in through three instances, one per node: the instance on the dead node answers the clear 503
 * (SERVICE_UNAVAILABLE) and its readiness goes 503, the instances on the other two keep serving,
 * the node is started again and rejoins (IST), its instance recovers by itself, and every
 * registration that was acknowledged is in the database afterwards, on every node.
 * database-outage.stress.ts does the same to a single server.
 */
import { childrenOf } from '@weibo-login/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWEEP_EVERY_MS } from '../../src/limits/bounds.ts';
import type { ApiProcess } from '../support/api-process.ts';
import { galeraSkipped } from '../support/galera.ts';
import { createGaleraWorld, type GaleraWorld, PASSWORD, passwordTraffic, probe } from '../support/galera-world.ts';
import { type Outcome, request, waitFor } from '../support/load.ts';

/** mysql2's connectTimeout and the query timeout are 3 and 5 s; a loaded machine's margin on top. */
const ANSWER_BOUND_MS = 8000;
/** Galera declares a silent node gone after evs.suspect_timeout (5 s): the survivors' commits may
 * wait that long first. */
const SURVIVORS_BOUND_MS = 20_000;
const RECOVERY_BOUND_MS = 30_000;
const KILLED = 1;
/** The background tick's interval, plus a loaded machine's margin. */
const LEASE_TICK_BOUND_MS = SWEEP_EVERY_MS + 20_000;

describe.skipIf(galeraSkipped('galera outage suite'))('a Galera node killed under load', () => {
  let w: GaleraWorld;
  let apis: ApiProcess[];

  beforeAll(async () => {
    w = await createGaleraWorld('galera_outage');
    apis = await w.startSeededApis('seed');
  });
  afterAll(async () => {
    await w?.dispose();
  });

  const ok = (outcomes: Outcome[], after: number) => outcomes.filter((o) => o.startedAt > after && o.status === 200).length;

  it('the dead node’s instance answers 503, the others serve, the node rejoins, nothing acknowledged is lost', async () => {
    const loads = apis.map((api, i) => passwordTraffic(api, `out${i}`));
    const [onDead, ...survivors] = [loads[KILLED]!, ...loads.filter((_, i) => i !== KILLED)];
    const dead = apis[KILLED]!;
    // Traffic flowing everywhere first.
    await waitFor(async () => loads.every((load) => ok(load.outcomes, 0) >= 3), 30_000, 'every instance serves');

    const killedAt = performance.now();
    await w.cluster.kill(KILLED);
    await waitFor(async () => (await probe(dead, '/api/readyz')) === 503, ANSWER_BOUND_MS, 'readiness of the dead node’s instance');
    await waitFor(
      async () => onDead.outcomes.filter((o) => o.startedAt > killedAt && o.status === 503).length >= 5,
      ANSWER_BOUND_MS,
      'the dead node’s instance answers 503',
    );
    const survivorsMs = await waitFor(
      async () => survivors.every((load) => ok(load.outcomes, killedAt) >= 5),
      SURVIVORS_BOUND_MS,
      'the other instances keep serving',
    );
    for (const [i, api] of apis.entries()) if (i !== KILLED) expect(await probe(api, '/api/readyz')).toBe(200);
    const survivorSize = (await w.cluster.status(0))?.clusterSize;

    const restartAt = performance.now();
    const rejoin = await w.cluster.start(KILLED);
    let last = '';
    const recoveredMs = await waitFor(
      async () => {
        const [ready, login] = [
          await probe(dead, '/api/readyz'),
          await request(dead.url, '/trpc/auth.login', { account: `seed_${KILLED}`, password: PASSWORD }),
        ];
        last = `readyz ${ready}, login ${login.status} ${login.reason}`;
        return ready === 200 && login.status === 200;
      },
      RECOVERY_BOUND_MS,
      'the dead node’s instance recovers',
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last: ${last})\n${dead.output().slice(-3000)}`);
    });
    const recoveredAt = performance.now();
    await waitFor(async () => ok(onDead.outcomes, recoveredAt) >= 5, 30_000, 'the dead node’s instance serves again');
    await Promise.all(loads.map((load) => load.stop()));

    const all = loads.flatMap((load, i) => load.outcomes.map((o) => ({ ...o, api: i })));
    const whileDown = onDead.outcomes.filter((o) => o.startedAt > killedAt + 200 && o.endedAt < restartAt);
    const survivor503 = survivors.flatMap((load) => load.outcomes.filter((o) => o.status === 503));
    const summary = {
      requests: all.length,
      deadWhileDown: whileDown.length,
      survivorsServingAfterMs: Math.round(survivorsMs),
      survivorClusterSize: survivorSize,
      survivor503s: survivor503.length,
      rejoin,
      recoveredMs: Math.round(recoveredMs),
      slowestMs: Math.round(Math.max(...all.map((o) => o.endedAt - o.startedAt))),
    };
    console.log(`galera node killed ${JSON.stringify(summary)}`);

    // Never a 500, a non-answer or a hang, on any instance, at any moment.
    const bad = all.filter((o) => (o.status >= 500 && o.status !== 503) || o.status <= 0);
    expect(
      bad.map((o) => `api${o.api + 1} ${o.op} ${o.status} ${o.reason}`),
      w.unexpectedLog(),
    ).toEqual([]);
    expect(all.filter((o) => o.status === 503 && o.reason !== 'SERVICE_UNAVAILABLE').map((o) => o.reason)).toEqual([]);
    // While its node was down, the dead node's instance gave the clear answer, quickly.
    expect(new Set(whileDown.map((o) => `${o.status} ${o.reason}`))).toEqual(new Set(['503 SERVICE_UNAVAILABLE']));
    expect(Math.max(...whileDown.map((o) => o.endedAt - o.startedAt))).toBeLessThan(ANSWER_BOUND_MS);
    expect(survivorSize).toBe(2);
    expect(w.crashed()).toEqual([]);
    expect((await w.cluster.status(KILLED))?.clusterSize).toBe(3);

    // Every acknowledged registration is there, on every node, the rejoined one included.
    const acknowledged = all.filter((o) => o.op === 'register' && o.status === 200).map((o) => o.account!);
    expect(acknowledged.length).toBeGreaterThan(20);
    for (let node = 0; node < w.cluster.size; node++) {
      const rows = await w.sql<{ account: string }>(node, 'SELECT account FROM users WHERE account IN (?)', [acknowledged]);
      const missing = acknowledged.filter((account) => !rows.some((row) => row.account === account));
      expect(missing, `acknowledged registrations missing on node${node + 1}`).toEqual([]);
    }
  });

  it('background work has one holder across the three instances, handed to another when it stops', async () => {
    // (2e) The sweeps and revoke retries run on the instance holding the `background` lease row
    // (src/db/cluster-lock.ts), taken by each instance's minute tick: all three start together,
    // through three nodes, so their inserts of that row meet at commit.
    type Lease = { holder: string; expires_at: number };
    const lease = async () =>
      (await w.sql<Lease>(0, "SELECT holder, expires_at FROM weibo_login_locks WHERE name = 'background'").catch(() => []))[0];
    // The holder names its process: the instance's, or with API_WORKERS one of its workers.
    const holderOf = (row: Lease | undefined) => {
      const pid = Number(row?.holder.split(':')[1]);
      return apis.find((api) => api.child.pid === pid || childrenOf(api.child.pid!).includes(pid));
    };
    let first: ApiProcess | undefined;
    await waitFor(
      async () => (first = holderOf(await lease())) !== undefined,
      LEASE_TICK_BOUND_MS,
      'one instance holds the background lease',
    );
    const rows = await w.sql<{ n: number }>(0, "SELECT COUNT(*) AS n FROM weibo_login_locks WHERE name = 'background'");
    expect(Number(rows[0]!.n)).toBe(1);
    // A clean stop hands it back; another instance takes it at its next tick.
    await w.retire(first!);
    let second: ApiProcess | undefined;
    await waitFor(
      async () => (second = holderOf(await lease())) !== undefined && second !== first,
      LEASE_TICK_BOUND_MS,
      'another instance takes the background lease over',
    );
    expect(w.crashed()).toEqual([]);
  });
});
